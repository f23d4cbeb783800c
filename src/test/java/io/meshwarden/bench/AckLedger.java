package io.meshwarden.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the clients were told, across kills: for every name the latest acknowledged state, ordered by the server's
 * resourceVersions, and the one write per writer that was in flight when the server died.
 *
 * <p>Order: a write acknowledged with version v sits at position 2v; a delete acknowledged with If-Match v sits at
 * 2v+1, just after the state it removed. Every delete is conditional so that it has a position: the arrival order of
 * answers from concurrent writers says nothing about the order the server applied them in.
 */
final class AckLedger {
    /** The state of one name: present with a version and content hash, or absent after {@code position}. */
    record Known(long position, String version, String hash, String op) {
        boolean present() {
            return version != null;
        }
    }

    /** A write sent and not answered. */
    record Write(String kind, String name, String op) {
    }

    /** A policy as the API or the disk shows it. */
    record Seen(String version, String hash, String op) {
    }

    private final Map<String, Known> expected = new ConcurrentHashMap<>();
    private final Set<Long> versionsHandedOut = ConcurrentHashMap.newKeySet();
    private Write[] inFlight = new Write[0];
    private volatile long floor;
    private int iteration;
    private volatile CountDownLatch firstAck = new CountDownLatch(1);

    final AtomicInteger creates = new AtomicInteger();
    final AtomicInteger updates = new AtomicInteger();
    final AtomicInteger deletes = new AtomicInteger();
    final AtomicInteger conflicts409 = new AtomicInteger();
    final AtomicInteger conflicts412 = new AtomicInteger();
    final AtomicInteger races404 = new AtomicInteger();
    final AtomicInteger nonMonotonic = new AtomicInteger();
    final AtomicInteger errors = new AtomicInteger();
    private final List<String> problems = Collections.synchronizedList(new ArrayList<>());

    /** Starts an iteration: every version handed out from now on must exceed {@code floor}. */
    void startIteration(int writers, long floor) {
        this.iteration++;
        this.inFlight = new Write[writers];
        this.floor = floor;
        this.firstAck = new CountDownLatch(1);
        creates.set(0);
        updates.set(0);
        deletes.set(0);
        conflicts409.set(0);
        conflicts412.set(0);
        races404.set(0);
        nonMonotonic.set(0);
        errors.set(0);
        problems.clear();
    }

    /** 1-based number of the current iteration, part of every op label. */
    int iteration() {
        return iteration;
    }

    Known known(String name) {
        return expected.get(name);
    }

    Set<String> names() {
        return Set.copyOf(expected.keySet());
    }

    /** Waits for the iteration's first acknowledged write; false when none came in time. */
    boolean awaitFirstAck(long millis) throws InterruptedException {
        return firstAck.await(millis, TimeUnit.MILLISECONDS);
    }

    void begin(int writer, Write w) {
        inFlight[writer] = w;
    }

    /** The server answered; nothing is in flight for this writer any more. */
    void answered(int writer) {
        inFlight[writer] = null;
    }

    void acknowledgedWrite(int writer, String kind, String name, String ifMatch, PolicyClient.Reply reply) {
        inFlight[writer] = null;
        String version = reply.version();
        JsonNode body = reply.body();
        if (version == null || body == null || !version.equals(body.path("metadata").path("resourceVersion")
                .asText())) {
            problem(errors, kind + " " + name + ": " + reply.status() + " without a matching ETag and body version");
            return;
        }
        long v = Long.parseLong(version);
        if (v <= floor) {
            problem(nonMonotonic, kind + " " + name + " got version " + v + ", not above " + floor
                    + " handed out before the restart");
        }
        if (ifMatch != null && v <= Long.parseLong(ifMatch)) {
            problem(nonMonotonic, kind + " " + name + " got version " + v + ", not above its If-Match " + ifMatch);
        }
        if (!versionsHandedOut.add(v)) {
            problem(nonMonotonic, kind + " " + name + " got version " + v + ", already handed out");
        }
        (kind.equals("create") ? creates : updates).incrementAndGet();
        record(name, new Known(2 * v, version, contentHash(body), opOf(body)));
        firstAck.countDown();
    }

    void acknowledgedDelete(int writer, String name, String ifMatch) {
        inFlight[writer] = null;
        deletes.incrementAndGet();
        record(name, new Known(2 * Long.parseLong(ifMatch) + 1, null, null, null));
        firstAck.countDown();
    }

    void conflict(int writer, int status) {
        inFlight[writer] = null;
        (status == 409 ? conflicts409 : status == 412 ? conflicts412 : races404).incrementAndGet();
    }

    void unexpected(int writer, String what) {
        inFlight[writer] = null;
        problem(errors, what);
    }

    private void record(String name, Known k) {
        expected.merge(name, k, (old, now) -> now.position() > old.position() ? now : old);
    }

    /** The result of checking the restarted server against the ledger. */
    record Verdict(int checked, int landedInFlight, List<String> lost) {
    }

    /**
     * Compares what the restarted server serves with what was acknowledged. A name may differ only by the effect of
     * a write in flight at the kill: a delete, or a create or update whose own content (its op label) is there with
     * a version above the acknowledged state.
     */
    Verdict verify(Map<String, Seen> actual) {
        Set<String> names = new TreeSet<>(expected.keySet());
        names.addAll(actual.keySet());
        Map<String, List<Write>> flying = new TreeMap<>();
        for (Write w : inFlight) {
            if (w != null) {
                flying.computeIfAbsent(w.name(), n -> new ArrayList<>()).add(w);
            }
        }
        int landed = 0;
        List<String> lost = new ArrayList<>();
        for (String name : names) {
            Known exp = expected.get(name);
            Seen act = actual.get(name);
            boolean expPresent = exp != null && exp.present();
            if (!expPresent && act == null) {
                continue;
            }
            if (expPresent && act != null && exp.version().equals(act.version()) && exp.hash().equals(act.hash())) {
                continue;
            }
            List<Write> writes = flying.getOrDefault(name, List.of());
            long after = exp == null ? 0 : exp.position();
            boolean explained = act == null
                    ? writes.stream().anyMatch(w -> w.kind().equals("delete"))
                    : writes.stream().anyMatch(w -> !w.kind().equals("delete") && w.op().equals(act.op()))
                            && 2 * Long.parseLong(act.version()) > after;
            if (explained) {
                landed++;
            } else {
                lost.add(name + ": acknowledged " + describe(exp) + ", served " + (act == null ? "404"
                        : "version " + act.version() + " op " + act.op()) + ", in flight " + writes);
            }
        }
        return new Verdict(names.size(), landed, lost);
    }

    /** After a verification: the served state is the new truth (it includes in-flight writes that landed). */
    long rebase(Map<String, Seen> actual) {
        long max = floor;
        for (Long v : versionsHandedOut) {
            max = Math.max(max, v);
        }
        for (Iterator<Map.Entry<String, Known>> it = expected.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Known> e = it.next();
            if (!actual.containsKey(e.getKey()) && e.getValue().present()) {
                e.setValue(new Known(e.getValue().position() + 1, null, null, null));
            }
        }
        for (Map.Entry<String, Seen> e : actual.entrySet()) {
            long v = Long.parseLong(e.getValue().version());
            max = Math.max(max, v);
            expected.put(e.getKey(), new Known(2 * v, e.getValue().version(), e.getValue().hash(),
                    e.getValue().op()));
        }
        return max;
    }

    List<String> problems() {
        return List.copyOf(problems);
    }

    private void problem(AtomicInteger counter, String what) {
        counter.incrementAndGet();
        if (problems.size() < 20) {
            problems.add(what);
        }
    }

    private static String describe(Known k) {
        if (k == null) {
            return "nothing";
        }
        return k.present() ? "version " + k.version() + " op " + k.op() : "deleted";
    }

    static String opOf(JsonNode policy) {
        return policy.path("metadata").path("labels").path("op").asText(null);
    }

    /** Hash of what a client wrote (labels and spec) in a key order that does not depend on the serializer. */
    static String contentHash(JsonNode policy) {
        StringBuilder sb = new StringBuilder();
        canonical(policy.path("metadata").path("labels"), sb);
        sb.append('|');
        canonical(policy.path("spec"), sb);
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(sb.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void canonical(JsonNode n, StringBuilder sb) {
        if (n.isObject()) {
            sb.append('{');
            List<String> keys = new ArrayList<>();
            n.fieldNames().forEachRemaining(keys::add);
            keys.sort(null);
            for (String k : keys) {
                sb.append('"').append(k).append("\":");
                canonical(n.get(k), sb);
                sb.append(',');
            }
            sb.append('}');
        } else if (n.isArray()) {
            sb.append('[');
            n.forEach(e -> {
                canonical(e, sb);
                sb.append(',');
            });
            sb.append(']');
        } else {
            sb.append(n.isMissingNode() ? "null" : n.toString());
        }
    }
}
