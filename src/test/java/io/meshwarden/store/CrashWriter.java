package io.meshwarden.store;

import io.meshwarden.policy.MeshPolicy;
import java.nio.file.Path;
import java.util.Random;

/**
 * Child process of {@link CrashSafetyTest}: opens the store (recovering from the previous kill), then writes forever.
 * Before each operation it prints "BEGIN op name"; after the store returns (the point where the API would answer
 * 2xx) it prints "ACK op name resourceVersion".
 */
public final class CrashWriter {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Random random = new Random(Long.parseLong(args[1]));
        FilePolicyStore store = new FilePolicyStore(dir, new ResourceVersionClock(), null);
        store.load();
        // Load the YAML and validation classes before READY so that kill delays measure writing, not class loading.
        io.meshwarden.policy.Documents.toYaml(io.meshwarden.policy.PolicyCodec.write(TestPolicies.tracing("warm", "1")));
        System.out.println("READY");
        System.out.flush();
        for (long i = 0; ; i++) {
            String name = "p" + random.nextInt(12);
            boolean exists = store.get(name).isPresent();
            String op = !exists ? "create" : (random.nextInt(5) == 0 ? "delete" : "update");
            System.out.println("BEGIN " + op + " " + name);
            System.out.flush();
            String rv;
            if (op.equals("create")) {
                rv = store.create(TestPolicies.tracing(name, String.valueOf(i % 100))).metadata().resourceVersion();
            } else if (op.equals("update")) {
                MeshPolicy p = store.update(TestPolicies.tracing(name, String.valueOf(i % 100) + ".5"), null, false);
                rv = p.metadata().resourceVersion();
            } else {
                store.delete(name, null, false);
                rv = "-";
            }
            System.out.println("ACK " + op + " " + name + " " + rv);
            System.out.flush();
        }
    }
}
