package io.meshwarden.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The crash-load verdicts: what counts as lost, what an in-flight write may explain, what is non-monotonic. */
class AckLedgerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private AckLedger ledger;

    @BeforeEach
    void twoWriters() {
        ledger = new AckLedger();
        ledger.startIteration(2, 100);
    }

    @Test
    void anAcknowledgedWriteServedExactlyPasses() throws Exception {
        ack(0, "update", "a", "150", "op-1", "5");
        assertEquals(List.of(), ledger.verify(Map.of("a", seen("150", "op-1", "5"))).lost());
    }

    @Test
    void anOlderVersionOrOtherContentOrA404IsALostWrite() throws Exception {
        ack(0, "update", "a", "150", "op-1", "5");
        assertEquals(1, ledger.verify(Map.of("a", seen("140", "op-0", "5"))).lost().size());
        assertEquals(1, ledger.verify(Map.of("a", seen("150", "op-1", "6"))).lost().size(), "same version, "
                + "other content");
        assertEquals(1, ledger.verify(Map.of()).lost().size());
    }

    @Test
    void theWriteInFlightAtTheKillMayHaveLanded() throws Exception {
        ack(0, "update", "a", "150", "op-1", "5");
        ledger.begin(1, new AckLedger.Write("update", "a", "op-2"));
        AckLedger.Verdict v = ledger.verify(Map.of("a", seen("160", "op-2", "7")));
        assertEquals(List.of(), v.lost());
        assertEquals(1, v.landedInFlight());
        assertEquals(List.of(), ledger.verify(Map.of("a", seen("150", "op-1", "5"))).lost(), "or not");
        // Content of no in-flight write, or a version below the acknowledged one, is not explained.
        assertEquals(1, ledger.verify(Map.of("a", seen("160", "op-9", "7"))).lost().size());
        assertEquals(1, ledger.verify(Map.of("a", seen("120", "op-2", "7"))).lost().size());
    }

    @Test
    void deletesAreOrderedByTheVersionTheyRemoved() throws Exception {
        ack(0, "create", "b", "150", "op-1", "5");
        // The delete of 150 is answered before the create's answer was processed: order is by version, not arrival.
        AckLedger fresh = new AckLedger();
        fresh.startIteration(2, 100);
        fresh.acknowledgedDelete(1, "b", "150");
        fresh.acknowledgedWrite(0, "create", "b", null, reply("150", "b", "op-1", "5"));
        assertEquals(List.of(), fresh.verify(Map.of()).lost());
        assertEquals(1, fresh.verify(Map.of("b", seen("150", "op-1", "5"))).lost().size(), "a deleted policy "
                + "came back");
        ledger.begin(1, new AckLedger.Write("delete", "b", null));
        assertEquals(1, ledger.verify(Map.of()).landedInFlight());
    }

    @Test
    void aPolicyNobodyWroteIsAViolation() throws Exception {
        assertEquals(1, ledger.verify(Map.of("ghost", seen("170", "op-x", "1"))).lost().size());
    }

    @Test
    void versionsAtOrBelowTheFloorOrRepeatedAreNonMonotonic() throws Exception {
        ack(0, "update", "a", "100", "op-1", "5");
        assertEquals(1, ledger.nonMonotonic.get(), "not above the versions handed out before the restart");
        ack(0, "update", "a", "200", "op-2", "5");
        ack(1, "update", "c", "200", "op-3", "5");
        assertEquals(2, ledger.nonMonotonic.get(), "the same version twice");
        ledger.acknowledgedWrite(0, "update", "a", "250", reply("240", "a", "op-4", "5"));
        assertEquals(3, ledger.nonMonotonic.get(), "not above its If-Match");
    }

    @Test
    void rebaseTakesTheServedStateAndReturnsTheHighestVersion() throws Exception {
        ack(0, "update", "a", "150", "op-1", "5");
        ledger.begin(1, new AckLedger.Write("update", "a", "op-2"));
        Map<String, AckLedger.Seen> served = Map.of("a", seen("180", "op-2", "6"));
        assertEquals(180, ledger.rebase(served));
        ledger.startIteration(2, 180);
        assertEquals(List.of(), ledger.verify(served).lost());
        assertTrue(ledger.known("a").present());
    }

    private void ack(int writer, String kind, String name, String version, String op, String percent)
            throws Exception {
        ledger.acknowledgedWrite(writer, kind, name, null, reply(version, name, op, percent));
    }

    private static PolicyClient.Reply reply(String version, String name, String op, String percent)
            throws Exception {
        return new PolicyClient.Reply(200, "\"" + version + "\"", doc(version, name, op, percent));
    }

    private static AckLedger.Seen seen(String version, String op, String percent) throws Exception {
        JsonNode d = doc(version, "x", op, percent);
        return new AckLedger.Seen(version, AckLedger.contentHash(d), op);
    }

    private static JsonNode doc(String version, String name, String op, String percent) throws Exception {
        return JSON.readTree("{\"metadata\":{\"name\":\"" + name + "\",\"resourceVersion\":\"" + version
                + "\",\"labels\":{\"op\":\"" + op + "\"}},\"spec\":{\"type\":\"TraceSampling\",\"parameters\":"
                + "{\"maxPercent\":" + percent + "}}}");
    }
}
