package io.meshwarden.bench;

import io.meshwarden.cli.AuditCommandAccess;
import io.meshwarden.evaluate.EvaluationResult;
import io.meshwarden.evaluate.Evaluator;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.MeshPolicy;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Evaluation time and retained heap of synthetic snapshots. Run it with bench/evaluate.sh (one core, fixed heap);
 * arguments: workload counts (default 1000 10000 50000). Policies: examples/policies (one of each type).
 *
 * <p>Heap is measured as used heap after full GCs with the snapshot held and after dropping it, so it counts what
 * the snapshot retains, not what building it allocated.
 */
public final class EvaluateBenchmark {
    public static void main(String[] args) throws Exception {
        int[] sizes = args.length == 0 ? new int[] {1000, 10000, 50000}
                : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        List<MeshPolicy> policies = AuditCommandAccess.loadPolicies(Path.of("examples/policies"));
        System.out.printf("policies: %d (%s)%n", policies.size(), policies.stream().map(p -> p.spec().type().name())
                .distinct().toList());
        System.out.printf("cpus visible to the JVM: %d, max heap: %d MiB%n", Runtime.getRuntime()
                .availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
        System.out.println("workloads | namespaces | build ms | heap retained MiB | bytes/workload | eval ms median "
                + "| eval ms min | eval ms max | findings | findings retained MiB | bytes/finding");
        // Load and initialize every class once, so the first size's heap figure is not skewed by start-up garbage.
        PolicyTypes.EVALUATOR.evaluate(policies, SnapshotGenerator.snapshot(500, 10, 7));
        for (int n : sizes) {
            int namespaces = Math.max(1, n / 50);
            long t0 = System.nanoTime();
            ClusterSnapshot snapshot = SnapshotGenerator.snapshot(n, namespaces, 42);
            long buildMs = (System.nanoTime() - t0) / 1_000_000;
            int warmups = n >= 50000 ? 5 : 10;
            int runs = n >= 50000 ? 7 : 15;
            EvaluationResult result = null;
            for (int i = 0; i < warmups; i++) {
                result = PolicyTypes.EVALUATOR.evaluate(policies, snapshot);
            }
            double[] ms = new double[runs];
            for (int i = 0; i < runs; i++) {
                long s = System.nanoTime();
                result = PolicyTypes.EVALUATOR.evaluate(policies, snapshot);
                ms[i] = (System.nanoTime() - s) / 1e6;
            }
            Arrays.sort(ms);
            StringBuilder perType = new StringBuilder();
            for (MeshPolicy policy : policies) {
                double[] one = new double[runs];
                for (int i = 0; i < runs; i++) {
                    long s = System.nanoTime();
                    PolicyTypes.EVALUATOR.evaluate(List.of(policy), snapshot);
                    one[i] = (System.nanoTime() - s) / 1e6;
                }
                Arrays.sort(one);
                perType.append(String.format("  %s %.1f ms", policy.spec().type().name(), one[runs / 2]));
            }
            // Retained size = heap with the snapshot held minus heap once it is dropped (after full GCs each time).
            // The findings (what a published report holds) the same way: with the result held, then dropped.
            result = null;
            result = PolicyTypes.EVALUATOR.evaluate(policies, snapshot);
            int findingsCount = result.findings().size();
            long withResult = usedAfterGc();
            java.lang.ref.Reference.reachabilityFence(result);
            result = null;
            long with = usedAfterGc();
            long findingsRetained = withResult - with;
            java.lang.ref.Reference.reachabilityFence(snapshot);
            snapshot = null;
            long retained = with - usedAfterGc();
            System.out.printf("%d | %d | %d | %.1f | %d | %.1f | %.1f | %.1f | %d | %.1f | %d%n", n, namespaces,
                    buildMs, retained / 1048576.0, retained / n, ms[runs / 2], ms[0], ms[runs - 1],
                    findingsCount, findingsRetained / 1048576.0, findingsRetained / Math.max(1, findingsCount));
            System.out.println("  median per policy type:" + perType);
        }
    }

    private static long usedAfterGc() throws InterruptedException {
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
