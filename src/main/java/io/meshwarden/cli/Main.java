package io.meshwarden.cli;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Properties;

/**
 * One artifact, several uses. Only {@code serve}, or no word at all (the README's quick start), starts the server;
 * every other word runs and exits without opening a port or writing a file: {@code audit} evaluates offline,
 * {@code fix} writes remediated manifests, {@code help}/{@code -h}/{@code --help} and {@code version} print, and an
 * unknown word is a usage error (a typo must never start a server in a CI job's working directory).
 */
@QuarkusMain
public class Main {
    static final int USAGE = 2;
    static final String HELP = """
            usage: meshwarden [serve | audit | fix | version | help] [options]

              serve     run the service (REST API, scheduled audit and enforcement); the default without a word
              audit     evaluate policy files against a manifest folder, without a cluster or a server
              fix       write the manifest folder with every remedy applied, for a GitOps repository
              version   print the version
              help      print this

            meshwarden audit --help and meshwarden fix --help describe their options.
            """;

    public static void main(String... args) {
        String word = args.length == 0 ? "serve" : args[0];
        String[] rest = Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
        switch (word) {
            case "serve" -> Quarkus.run(rest);
            case "audit" -> System.exit(AuditCommand.run(rest, System.out, System.err));
            case "fix" -> System.exit(FixCommand.run(rest, System.out, System.err));
            default -> System.exit(other(word, System.out, System.err));
        }
    }

    /** Every word that neither serves nor runs a command: prints, exits, touches nothing. */
    static int other(String word, PrintStream out, PrintStream err) {
        switch (word) {
            case "help", "-h", "--help" -> {
                out.print(HELP);
                return 0;
            }
            case "version", "--version" -> {
                out.println("meshwarden " + version());
                return 0;
            }
            default -> {
                err.println("meshwarden: unknown command '" + word + "'");
                err.print(HELP);
                return USAGE;
            }
        }
    }

    /** The project version, filtered into the resource at build time. */
    static String version() {
        Properties p = new Properties();
        try (InputStream in = Main.class.getResourceAsStream("/meshwarden-version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // Unknown is the answer then.
        }
        return p.getProperty("version", "unknown");
    }
}
