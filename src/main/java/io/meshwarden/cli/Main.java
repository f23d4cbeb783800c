package io.meshwarden.cli;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * One artifact, two uses: with {@code audit ...} it evaluates offline and exits without starting the server (no
 * port, no store directory); otherwise it runs the service.
 */
@QuarkusMain
public class Main {
    public static void main(String... args) {
        if (args.length > 0 && args[0].equals("audit")) {
            String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
            System.exit(AuditCommand.run(rest, System.out, System.err));
        }
        Quarkus.run(args);
    }
}
