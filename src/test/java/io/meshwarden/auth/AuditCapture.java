package io.meshwarden.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Collects the lines of the audit logger, parsed, while open. */
final class AuditCapture extends Handler implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Logger logger = Logger.getLogger(AuditLog.CATEGORY);

    AuditCapture() {
        logger.addHandler(this);
    }

    @Override
    public void publish(LogRecord record) {
        lines.add(record.getMessage());
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
    }

    List<String> raw() {
        return List.copyOf(lines);
    }

    List<JsonNode> lines() {
        List<JsonNode> out = new ArrayList<>();
        for (String l : lines) {
            try {
                out.add(JSON.readTree(l));
            } catch (Exception e) {
                throw new AssertionError("not one JSON object: " + l, e);
            }
        }
        return out;
    }

    List<JsonNode> withAction(String action) {
        return matching(l -> action.equals(l.path("action").asText()));
    }

    List<JsonNode> matching(Predicate<JsonNode> p) {
        return lines().stream().filter(p).toList();
    }
}
