package io.meshwarden.cli;

import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * What the offline commands share: the streams they print to (tests hand in their own, so that a command runs in
 * the test's JVM without touching System.out) and usage errors that picocli prints in the one-line form of
 * {@link Main}.
 */
abstract class CliCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    final PrintStream out;
    final PrintStream err;

    CliCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** A usage error (exit 2) about the options as given: thrown, picocli prints it. */
    ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
