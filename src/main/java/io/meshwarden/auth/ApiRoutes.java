package io.meshwarden.auth;

import java.util.ArrayList;
import java.util.List;

/**
 * Maps each route of io.meshwarden.api to the access it needs. A route not listed here gets the strictest access
 * (an enforcement update), so a new endpoint is admin-only until it is added.
 */
public final class ApiRoutes {
    public static final String PREFIX = "/api";
    /** The operation of a request no route of ours takes (unknown path or method): the strictest access. */
    public static final String UNKNOWN = "api.unknown";
    private static final String V1 = "/api/v1/";

    private ApiRoutes() {
    }

    /** Whether a request path is under /api (only those need a token). */
    public static boolean guarded(String path) {
        String p = normalize(path);
        return p.equals(PREFIX) || p.startsWith(PREFIX + "/");
    }

    /**
     * Whether a path is the dashboard's (io.meshwarden.ui): everything but /api, the management paths under /q and
     * the static files under /static. Its pages check their own session cookie instead of a bearer token, and ask
     * {@link #access} with the API route each of their actions stands for.
     */
    public static boolean dashboard(String path) {
        String p = normalize(path);
        return !guarded(p) && !p.equals("/q") && !p.startsWith("/q/") && !p.startsWith("/static/");
    }

    /**
     * @param dryRunValues the values of the dryRun query parameter; a run counts as a dry run only when every value
     *                     is exactly "true", so that no spelling makes a run enforce while it was checked as a dry one
     */
    public static Access access(String method, String path, List<String> dryRunValues) {
        String m = "HEAD".equals(method) ? "GET" : method;
        String p = normalize(path);
        List<String> s = p.startsWith(V1) ? segments(p.substring(V1.length())) : List.of();
        Access a = s.isEmpty() ? null : route(m, s, dryRunValues);
        return a != null ? a : new Access("update", null, true, UNKNOWN);
    }

    private static Access route(String m, List<String> s, List<String> dryRunValues) {
        String head = s.get(0);
        int n = s.size();
        switch (head) {
            case "policies":
                return policies(m, s);
            case "sources":
                return n == 1 && m.equals("GET") ? read("get", null, "sources.get") : null;
            case "reports":
                if (m.equals("GET") && n >= 2 && s.get(1).equals("latest")) {
                    if (n == 2) {
                        return read("get", null, "report.get");
                    }
                    if (n == 4 && s.get(2).equals("policies")) {
                        return read("get", s.get(3), "report.get");
                    }
                }
                return null;
            case "audits":
                return n == 1 && m.equals("POST") ? new Access("update", null, false, "audit.start") : null;
            case "runs":
                return runs(m, s, dryRunValues);
            case "onboarding":
                return onboarding(m, s);
            case "helm":
                return n == 4 && m.equals("GET") && s.get(3).equals("overlay") ? read("get", null, "helm.overlay")
                        : null;
            default:
                return null;
        }
    }

    private static Access policies(String m, List<String> s) {
        if (s.size() == 1) {
            if (m.equals("GET")) {
                return read("list", null, "policy.list");
            }
            return m.equals("POST") ? new Access("create", null, false, "policy.create") : null;
        }
        if (s.size() != 2) {
            return null;
        }
        String name = s.get(1);
        switch (m) {
            case "GET":
                return read("get", name, "policy.get");
            case "PUT":
                return new Access("update", name, false, "policy.update");
            case "DELETE":
                return new Access("delete", name, false, "policy.delete");
            case "POST":
                // Validation stores nothing, but like a Kubernetes dry-run create it needs the right to create.
                return name.equals("validate") ? new Access("create", null, false, "policy.validate") : null;
            default:
                return null;
        }
    }

    private static Access runs(String m, List<String> s, List<String> dryRunValues) {
        if (s.size() == 1) {
            if (m.equals("GET")) {
                return read("list", null, "run.list");
            }
            if (m.equals("POST")) {
                boolean dryRun = dryRunValues != null && !dryRunValues.isEmpty()
                        && dryRunValues.stream().allMatch("true"::equals);
                return new Access("update", null, !dryRun, "run.start");
            }
            return null;
        }
        if (s.size() == 2 && m.equals("GET")) {
            return read("get", null, "run.get");
        }
        if (s.size() == 3 && m.equals("POST") && s.get(2).equals("revert")) {
            return new Access("update", null, true, "run.revert");
        }
        if (s.size() == 3 && m.equals("POST") && s.get(2).equals("release")) {
            // Lifting a hold lets the run's policies write those objects again: the same right as reverting.
            return new Access("update", null, true, "run.release");
        }
        return null;
    }

    private static Access onboarding(String m, List<String> s) {
        int n = s.size();
        if (n == 2) {
            if (m.equals("GET")) {
                return read("get", s.get(1), "onboarding.get");
            }
            // Restarts workloads: the right of enforcing runs, for the policy it names.
            return m.equals("POST") ? new Access("update", s.get(1), true, "onboarding.start") : null;
        }
        if (n == 3 && m.equals("POST") && s.get(2).equals("resume")) {
            return new Access("update", s.get(1), true, "onboarding.resume");
        }
        // A dry run changes nothing: the right of the runs' dry runs, for the policy it names.
        return n == 3 && m.equals("POST") && s.get(2).equals("dry-run")
                ? new Access("update", s.get(1), false, "onboarding.dry-run") : null;
    }

    private static Access read(String verb, String name, String operation) {
        return new Access(verb, name, false, operation);
    }

    private static String normalize(String path) {
        if (path == null || path.isEmpty()) {
            return "/";
        }
        String p = path.startsWith("/") ? path : "/" + path;
        while (p.length() > 1 && p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p;
    }

    private static List<String> segments(String rest) {
        List<String> out = new ArrayList<>();
        for (String part : rest.split("/", -1)) {
            if (part.isEmpty()) {
                // "//" or a stray slash: not a route of ours, so the caller falls back to the strictest access.
                return List.of();
            }
            out.add(part);
        }
        return out;
    }
}
