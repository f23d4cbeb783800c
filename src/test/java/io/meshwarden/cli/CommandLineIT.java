package io.meshwarden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshwarden.testing.PackagedArtifact;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The packaged artifact's command line (issue 19): help, version and a misspelled word print and exit, and never
 * open a port or write a file in the working directory, where they used to start the server on 0.0.0.0:8080 and
 * write .meshwarden/admin-token and ./policies.
 */
class CommandLineIT {
    @TempDir
    Path cwd;

    record Call(List<String> args, int exit, String expected) {
    }

    static Stream<Call> calls() {
        return Stream.of(new Call(List.of("--help"), 0, "Usage: meshwarden [-hV] [COMMAND]"),
                new Call(List.of("-h"), 0, "Usage: meshwarden [-hV] [COMMAND]"),
                new Call(List.of("help"), 0, "audit                Evaluate policy files"),
                new Call(List.of("help", "audit"), 0, "Usage: meshwarden audit"),
                new Call(List.of("version"), 0, "meshwarden 0."),
                new Call(List.of("--version"), 0, "meshwarden 0."),
                new Call(List.of("serve", "--help"), 0, "Usage: meshwarden serve"),
                new Call(List.of("generate-completion"), 0, "complete -F _complete_meshwarden"),
                new Call(List.of("audti"), Main.USAGE, "Unmatched argument at index 0: 'audti'"),
                new Call(List.of("audti"), Main.USAGE, "Did you mean: meshwarden audit"),
                new Call(List.of("--port", "9000"), Main.USAGE, "Unknown options: '--port', '9000'"));
    }

    @ParameterizedTest
    @MethodSource("calls")
    void printsExitsAndTouchesNothing(Call call) throws Exception {
        List<String> command = PackagedArtifact.current().command(List.of(), call.args());
        boolean busyBefore = listening(8080);
        Process p = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "it exits by itself (a server would not): " + out);
        assertEquals(call.exit(), p.exitValue(), out);
        assertTrue(out.contains(call.expected()), out);
        assertTrue(!out.contains("Listening on") && !out.contains("started in"), "no server started: " + out);
        try (Stream<Path> files = Files.list(cwd)) {
            assertEquals(List.of(), files.toList(), "nothing written in the working directory");
        }
        assertTrue(busyBefore || !listening(8080), "nothing listens on 8080 afterwards");
    }

    static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
