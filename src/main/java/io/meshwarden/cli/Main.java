package io.meshwarden.cli;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * One artifact, several uses: {@code audit ...} evaluates offline and {@code fix ...} writes remediated manifests,
 * each exiting without starting the server (no port, no store directory); otherwise it runs the service.
 */
@QuarkusMain
public class Main {
    public static void main(String... args) {
        if (args.length > 0 && (args[0].equals("audit") || args[0].equals("fix"))) {
            String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
            System.exit(args[0].equals("audit") ? AuditCommand.run(rest, System.out, System.err)
                    : FixCommand.run(rest, System.out, System.err));
        }
        Quarkus.run(args);
    }
}
