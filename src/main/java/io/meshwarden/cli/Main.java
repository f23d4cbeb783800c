package io.meshwarden.cli;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import io.quarkus.runtime.annotations.RegisterForReflection;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Unmatched;

/**
 * One artifact, several uses. Only {@code serve}, or no word at all (the README's quick start), starts the server;
 * every other word runs and exits without opening a port or writing a file: {@code audit} evaluates offline,
 * {@code fix} writes remediated manifests, {@code help}, {@code -h}, {@code --help}, {@code version} and
 * {@code generate-completion} print, and an unknown word is a usage error (a typo must never start a server in a CI
 * job's working directory).
 *
 * <p>The words are parsed by picocli as a library, before Quarkus boots, not through Quarkus' picocli extension:
 * the extension runs the command inside a booted application, so every {@code audit} would pay Quarkus' start (and
 * with the REST extensions present, open the HTTP port), which is what issue 19 asks to be rid of. The command
 * classes are registered for reflection so that the native executable parses the same way.
 */
@QuarkusMain
@RegisterForReflection(targets = {Main.Top.class, Main.Serve.class, Main.VersionCommand.class, Main.Version.class,
        CliCommand.class, AuditCommand.class, FixCommand.class, CommandLine.HelpCommand.class, AutoComplete.GenerateCompletion.class},
        classNames = "picocli.CommandLine$AutoHelpMixin", fields = true, methods = true)
public class Main {
    static final int USAGE = CommandLine.ExitCode.USAGE;

    public static void main(String... args) {
        if (args.length == 0) {
            Quarkus.run();
            return;
        }
        System.exit(commandLine(System.out, System.err).execute(args));
    }

    /** The whole command tree, printing to the given streams. */
    static CommandLine commandLine(PrintStream out, PrintStream err) {
        CommandLine cl = new CommandLine(new Top());
        cl.addSubcommand(new Serve());
        cl.addSubcommand(new AuditCommand(out, err));
        cl.addSubcommand(new FixCommand(out, err));
        cl.addSubcommand(new VersionCommand());
        cl.addSubcommand(new CommandLine.HelpCommand());
        cl.addSubcommand(new AutoComplete.GenerateCompletion());
        cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        cl.setParameterExceptionHandler(Main::usageError);
        cl.setAbbreviatedSubcommandsAllowed(false);
        return cl;
    }

    /** Runs one subcommand of the tree, as the command line would with that word first. */
    static int run(String word, String[] args, PrintStream out, PrintStream err) {
        String[] all = new String[args.length + 1];
        all[0] = word;
        System.arraycopy(args, 0, all, 1, args.length);
        return commandLine(out, err).execute(all);
    }

    /**
     * A usage error says what is wrong in one line prefixed by the command, then the closest words when it was a
     * typo, then where the help is: the whole usage text would bury the one line that matters in a CI log.
     */
    private static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cl = e.getCommandLine();
        PrintWriter err = cl.getErr();
        String name = cl.getCommandSpec().qualifiedName();
        err.println(name + ": " + e.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
        err.println("Try '" + name + " --help' for more information.");
        err.flush();
        return USAGE;
    }

    @Command(name = "meshwarden", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = {"Declarative policies for an Istio service mesh in production, enforced on a schedule.",
                    "Without a command it runs the service (the same as 'serve')."},
            commandListHeading = "%nCommands:%n")
    static final class Top implements Callable<Integer> {
        @Override
        public Integer call() {
            Quarkus.run();
            return 0;
        }
    }

    @Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = {"Run the service: REST API, scheduled audit and enforcement.",
                    "Configure it with application properties, environment variables or -D options "
                            + "(docs/configuration.md); further arguments go to the application."})
    static final class Serve implements Callable<Integer> {
        @Unmatched
        List<String> rest = new ArrayList<>();

        @Override
        public Integer call() {
            Quarkus.run(rest.toArray(String[]::new));
            return 0;
        }
    }

    @Command(name = "version", description = "Print the version.")
    static final class VersionCommand implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().getOut().println("meshwarden " + version());
            return 0;
        }
    }

    /** --version on any command. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"meshwarden " + version()};
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
