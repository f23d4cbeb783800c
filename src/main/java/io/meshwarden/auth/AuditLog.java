package io.meshwarden.auth;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Collection;
import org.jboss.logging.Logger;

/**
 * Who changed what: one JSON object per line on the logger {@value #CATEGORY}, for every policy change, every run
 * started or reverted, every object a run wrote to the cluster, and every change the API refused (403). Route the
 * category to its own handler to keep the trail apart from the service log.
 */
public final class AuditLog {
    public static final String CATEGORY = "meshwarden.audit";
    private static final Logger LOG = Logger.getLogger(CATEGORY);
    /** Cluster writes made outside any run scope (only tests do that) are the service's own. */
    private static final Actor SERVICE = new Actor(new Caller("system:meshwarden", null, null, null, null),
            null);
    /**
     * The author of the cluster writes made on this thread. Runs apply on the enforcer's worker thread, several
     * calls below the request that started them; a scope carries the caller there without widening every
     * signature in between.
     */
    private static final ThreadLocal<Actor> ACTOR = new ThreadLocal<>();

    private record Actor(Caller caller, String runId) {
    }

    /** Ends an {@link #attribute} scope. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    private AuditLog() {
    }

    /** Until the scope is closed, cluster writes on this thread are recorded as made by {@code caller} in a run. */
    public static Scope attribute(Caller caller, String runId) {
        Actor previous = ACTOR.get();
        ACTOR.set(new Actor(caller, runId));
        return () -> {
            if (previous == null) {
                ACTOR.remove();
            } else {
                ACTOR.set(previous);
            }
        };
    }

    /** A policy created, updated or deleted through the API. */
    public static void policy(Caller who, String action, String name, String versionBefore, String versionAfter) {
        ObjectNode line = line(who, action, name);
        put(line, "resourceVersionBefore", versionBefore);
        put(line, "resourceVersionAfter", versionAfter);
        line.put("outcome", "success");
        write(line);
    }

    /** A run started (run.start) or reverted (run.revert); outcome is the run's. */
    public static void run(Caller who, String action, String runId, boolean dryRun, String outcome) {
        ObjectNode line = line(who, action, runId);
        line.put("runId", runId);
        line.put("dryRun", dryRun);
        put(line, "outcome", outcome);
        write(line);
    }

    /**
     * One object written to the cluster, by the caller of the current {@link #attribute} scope.
     *
     * @param action  cluster.patch, cluster.create, cluster.delete
     * @param target  kind namespace/name
     * @param outcome applied, reverted, gone, failed...
     */
    public static void cluster(String action, String target, String versionBefore, String versionAfter,
            String changeId, Collection<String> policies, String outcome) {
        Actor actor = ACTOR.get() == null ? SERVICE : ACTOR.get();
        clusterBy(actor.caller(), actor.runId(), action, target, versionBefore, versionAfter, changeId, policies,
                outcome);
    }

    /** {@link #cluster} with an explicit author, for writes made on the request thread (reverts). */
    public static void clusterBy(Caller who, String runId, String action, String target, String versionBefore,
            String versionAfter, String changeId, Collection<String> policies, String outcome) {
        ObjectNode line = line(who, action, target);
        put(line, "resourceVersionBefore", versionBefore);
        put(line, "resourceVersionAfter", versionAfter);
        put(line, "runId", runId);
        put(line, "changeId", changeId);
        if (policies != null && !policies.isEmpty()) {
            ArrayNode p = line.putArray("policies");
            policies.forEach(p::add);
        }
        put(line, "outcome", outcome);
        write(line);
    }

    /** A change the caller was not allowed to make (reads that are refused are not changes). */
    static void denied(Caller who, Access access, String method, String path) {
        ObjectNode line = line(who, access.operation(), access.name() != null ? access.name() : method + " " + path);
        line.put("outcome", "denied");
        line.put("denied", access.describe());
        write(line);
    }

    private static ObjectNode line(Caller who, String action, String target) {
        ObjectNode line = JsonNodeFactory.instance.objectNode();
        line.put("time", Instant.now().toString());
        line.put("user", who.user());
        if (!who.groups().isEmpty()) {
            ArrayNode g = line.putArray("groups");
            who.groups().forEach(g::add);
        }
        if (who.role() != null) {
            line.put("role", who.role().wire());
        }
        line.put("action", action);
        put(line, "target", target);
        return line;
    }

    private static void put(ObjectNode line, String field, String value) {
        if (value != null) {
            line.put(field, value);
        }
    }

    private static void write(ObjectNode line) {
        // Jackson escapes control characters, so a crafted name cannot start a forged line.
        LOG.info(line.toString());
    }
}
