package io.meshwarden.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Istio's own code and charts at the pinned module versions (src/test/istio/istio.sh builds and caches them): the
 * injection oracle, which runs Istio's real injection webhook in-process, and the charts rendered by real Helm.
 */
final class IstioTools {
    static final Path SCRIPT = Path.of("src", "test", "istio", "istio.sh");
    static final ObjectMapper JSON = new ObjectMapper();

    private IstioTools() {
    }

    /** The pinned istio.io/istio module versions, as istio.sh lists them. */
    static List<String> versions() {
        List<String> out = new ArrayList<>();
        for (String line : run(List.of("bash", SCRIPT.toString(), "versions"), null).split("\n")) {
            if (!line.isBlank()) {
                out.add(line.trim());
            }
        }
        return out;
    }

    static Path charts(String version) {
        return Path.of(run(List.of("bash", SCRIPT.toString(), "charts", version), null).trim());
    }

    /** istioctl built from the module (slow when not cached: about 3 to 16 minutes). */
    static Path istioctl(String version) {
        return Path.of(run(List.of("bash", SCRIPT.toString(), "istioctl", version), null).trim());
    }

    /** {injectorConfig, injectorValues, meshConfig, webhooks, istiodEnv} of the istiod chart with these values. */
    static JsonNode render(String version, String valuesYaml, String namespace) {
        try {
            Path values = Files.createTempFile("istiod-values", ".yaml");
            Files.writeString(values, valuesYaml);
            try {
                return JSON.readTree(run(List.of("bash", SCRIPT.toString(), "render", version, values.toString(),
                        namespace), null));
            } finally {
                Files.deleteIfExists(values);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs the oracle over the cases (one JSON object each) and returns its answers in the same order. */
    static List<JsonNode> inject(String version, List<? extends JsonNode> cases) {
        Path oracle = Path.of(run(List.of("bash", SCRIPT.toString(), "oracle", version), null).trim());
        StringBuilder in = new StringBuilder();
        for (JsonNode c : cases) {
            in.append(c.toString()).append('\n');
        }
        List<JsonNode> out = new ArrayList<>();
        try {
            for (String line : run(List.of(oracle.toString()), in.toString()).split("\n")) {
                if (!line.isBlank()) {
                    out.add(JSON.readTree(line));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        if (out.size() != cases.size()) {
            throw new IllegalStateException("the oracle answered " + out.size() + " of " + cases.size() + " cases");
        }
        return out;
    }

    private static String run(List<String> command, String stdin) {
        try {
            Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            Thread writer = new Thread(() -> {
                try (BufferedWriter w = new BufferedWriter(new OutputStreamWriter(p.getOutputStream(),
                        StandardCharsets.UTF_8))) {
                    if (stdin != null) {
                        w.write(stdin);
                    }
                } catch (IOException e) {
                    // The reader below sees the process fail.
                }
            });
            writer.start();
            StringBuilder out = new StringBuilder();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    out.append(line).append('\n');
                }
            }
            if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed");
            }
            writer.join();
            return out.toString();
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", command) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
