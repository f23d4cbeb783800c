package io.meshwarden.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.Documents;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.PolicyCodec;
import io.meshwarden.store.AtomicFiles;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The store directory as a killed server left it, read with the app's own parser and validator: a torn file is one
 * that does not parse, does not validate, lacks its resourceVersion or names another policy than its file name.
 */
record StoreScan(Map<String, String> versions, List<String> torn, int tempFiles) {

    static StoreScan of(Path dir) throws IOException {
        Map<String, String> versions = new TreeMap<>();
        List<String> torn = new ArrayList<>();
        int temps = 0;
        if (!Files.isDirectory(dir)) {
            return new StoreScan(versions, torn, 0);
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String file = f.getFileName().toString();
                if (AtomicFiles.isTemp(f)) {
                    temps++;
                    continue;
                }
                if (!file.endsWith(".yaml")) {
                    continue;
                }
                try {
                    JsonNode doc = Documents.parseOne(Files.readAllBytes(f), true);
                    MeshPolicy p = PolicyTypes.CODEC.read(doc);
                    String rv = doc.path("metadata").path("resourceVersion").asText("");
                    if (!rv.matches("[0-9]{1,19}")) {
                        torn.add(file + ": resourceVersion '" + rv + "'");
                    } else if (!file.equals(p.name() + ".yaml")) {
                        torn.add(file + ": holds policy " + p.name());
                    } else {
                        versions.put(p.name(), rv);
                    }
                } catch (RuntimeException e) {
                    torn.add(file + ": " + e.getMessage());
                }
            }
        }
        return new StoreScan(versions, torn, temps);
    }
}
