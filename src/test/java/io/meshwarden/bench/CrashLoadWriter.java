package io.meshwarden.bench;

import java.io.IOException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * One of the concurrent REST writers of {@link CrashLoadDriver}. It writes its own names (no one else touches them,
 * so every answer is 2xx) and a few shared names (read, then a conditional write: 409 on a racing create, 412 on a
 * stale If-Match, 404 when another writer deleted it, all expected). It stops at the first I/O failure: the server
 * was killed, and the write it had sent is the one left in flight.
 */
final class CrashLoadWriter implements Runnable {
    private final int id;
    private final int iteration;
    private final PolicyClient api;
    private final AckLedger ledger;
    private final Random random;
    private final String[] shared;
    /** The writer's own names and their current versions (null: absent). */
    private final Map<String, String> own = new HashMap<>();
    private final String[] ownNames;
    private int seq;

    CrashLoadWriter(int id, int iteration, int ownCount, String[] shared, PolicyClient api, AckLedger ledger,
            long seed) {
        this.id = id;
        this.iteration = iteration;
        this.api = api;
        this.ledger = ledger;
        this.shared = shared;
        this.random = new Random(seed);
        this.ownNames = new String[ownCount];
        for (int k = 0; k < ownCount; k++) {
            ownNames[k] = "own-" + id + "-" + k;
            AckLedger.Known known = ledger.known(ownNames[k]);
            own.put(ownNames[k], known == null ? null : known.version());
        }
    }

    static String[] sharedNames(int count) {
        String[] names = new String[count];
        for (int i = 0; i < count; i++) {
            names[i] = "shared-" + i;
        }
        return names;
    }

    @Override
    public void run() {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                if (shared.length > 0 && random.nextInt(10) < 4) {
                    writeShared(shared[random.nextInt(shared.length)]);
                } else {
                    writeOwn(ownNames[random.nextInt(ownNames.length)]);
                }
            }
        } catch (IOException serverGone) {
            // The kill; the write in flight, if any, stays registered in the ledger.
        }
    }

    private void writeOwn(String name) throws IOException {
        String version = own.get(name);
        if (version == null) {
            String op = nextOp();
            ledger.begin(id, new AckLedger.Write("create", name, op));
            PolicyClient.Reply r = api.create(body(name, op));
            if (r.status() == 201) {
                ledger.acknowledgedWrite(id, "create", name, null, r);
                own.put(name, r.version());
            } else {
                ledger.unexpected(id, "create of own " + name + ": " + r.status() + " " + r.body());
            }
            return;
        }
        int dice = random.nextInt(10);
        if (dice < 7) {
            // Half conditional, half unconditional: both must be durable once acknowledged.
            String ifMatch = dice < 4 ? version : null;
            String op = nextOp();
            ledger.begin(id, new AckLedger.Write("update", name, op));
            PolicyClient.Reply r = api.put(name, body(name, op), ifMatch);
            if (r.status() == 200) {
                ledger.acknowledgedWrite(id, "update", name, ifMatch, r);
                own.put(name, r.version());
            } else {
                ledger.unexpected(id, "update of own " + name + ": " + r.status() + " " + r.body());
            }
        } else {
            ledger.begin(id, new AckLedger.Write("delete", name, null));
            PolicyClient.Reply r = api.delete(name, version);
            if (r.status() == 204) {
                ledger.acknowledgedDelete(id, name, version);
                own.put(name, null);
            } else {
                ledger.unexpected(id, "delete of own " + name + ": " + r.status() + " " + r.body());
            }
        }
    }

    private void writeShared(String name) throws IOException {
        PolicyClient.Reply current = api.get(name);
        if (current.status() == 404) {
            String op = nextOp();
            ledger.begin(id, new AckLedger.Write("create", name, op));
            PolicyClient.Reply r = api.create(body(name, op));
            if (r.status() == 201) {
                ledger.acknowledgedWrite(id, "create", name, null, r);
            } else {
                expectConflict("create", name, r, 409);
            }
            return;
        }
        if (current.status() != 200 || current.version() == null) {
            ledger.unexpected(id, "get of " + name + ": " + current.status() + " " + current.body());
            return;
        }
        String version = current.version();
        if (random.nextInt(4) < 3) {
            String op = nextOp();
            ledger.begin(id, new AckLedger.Write("update", name, op));
            PolicyClient.Reply r = api.put(name, body(name, op), version);
            if (r.status() == 200) {
                ledger.acknowledgedWrite(id, "update", name, version, r);
            } else {
                expectConflict("update", name, r, 412);
            }
        } else {
            ledger.begin(id, new AckLedger.Write("delete", name, null));
            PolicyClient.Reply r = api.delete(name, version);
            if (r.status() == 204) {
                ledger.acknowledgedDelete(id, name, version);
            } else {
                expectConflict("delete", name, r, 412);
            }
        }
    }

    /** A lost race on a shared name: the given conflict status, or 404 when the name was deleted meanwhile. */
    private void expectConflict(String kind, String name, PolicyClient.Reply r, int conflictStatus) {
        if (r.status() == conflictStatus || (r.status() == 404 && !kind.equals("create"))) {
            ledger.conflict(id, r.status());
        } else {
            ledger.unexpected(id, kind + " of shared " + name + ": " + r.status() + " " + r.body());
        }
    }

    private String nextOp() {
        return "i" + iteration + "-w" + id + "-" + (seq++);
    }

    /** A TraceSampling policy whose labels name the writer and this very request. */
    private String body(String name, String op) {
        String percent = String.format(Locale.ROOT, "%.2f", random.nextInt(10_000) / 100.0);
        return "{\"apiVersion\":\"meshwarden.io/v1alpha1\",\"kind\":\"MeshPolicy\",\"metadata\":{\"name\":\"" + name
                + "\",\"labels\":{\"writer\":\"w" + id + "\",\"op\":\"" + op + "\"}},\"spec\":{\"type\":"
                + "\"TraceSampling\",\"mode\":\"audit\",\"parameters\":{\"maxPercent\":" + percent + "}}}";
    }
}
