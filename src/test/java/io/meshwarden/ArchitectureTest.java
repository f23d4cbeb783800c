package io.meshwarden;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The rooms and the direction of the doors between them. From the bottom: {@code policy} (the document model),
 * {@code model} (the snapshot records), {@code istio} (what Istio does with them), {@code evaluate} (the engine),
 * {@code policies} (one folder per policy type and the registry); everything else is the service around them.
 * The bottom five are pure: no Kubernetes client, no CDI or Quarkus, no clock.
 */
class ArchitectureTest {
    private static final String[] PURE = {"io.meshwarden.policy..", "io.meshwarden.model..", "io.meshwarden.istio..",
        "io.meshwarden.evaluate..", "io.meshwarden.policies.."};
    private static final String[] SERVICE = {"io.meshwarden.api..", "io.meshwarden.auth..", "io.meshwarden.catalog..",
        "io.meshwarden.cli..", "io.meshwarden.cluster..", "io.meshwarden.enforce..", "io.meshwarden.gitops..",
        "io.meshwarden.http..", "io.meshwarden.observe..", "io.meshwarden.orchestrate..", "io.meshwarden.report..",
        "io.meshwarden.store..", "io.meshwarden.ui.."};

    static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.meshwarden");
    }

    @Test
    void noPackageCycles() {
        slices().matching("io.meshwarden.(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    void policyTypeFoldersDoNotReachIntoEachOther() {
        slices().matching("io.meshwarden.policies.(*)..").should().notDependOnEachOther().check(classes);
    }

    @Test
    void evaluationAndModelUseNoClientNoCdiNoClock() {
        ArchRule rule = noClasses().that().resideInAnyPackage(PURE).should().dependOnClassesThat()
                .resideInAnyPackage("io.fabric8.kubernetes.client..", "jakarta.enterprise..", "jakarta.inject..",
                        "io.quarkus..", "io.vertx..", "java.net.http..", "java.nio.file..")
                .orShould().dependOnClassesThat().areAssignableTo(Clock.class)
                .orShould().callMethod(System.class, "currentTimeMillis")
                .orShould().callMethod(System.class, "nanoTime")
                .orShould().callMethod(Instant.class, "now")
                .orShould().callMethod(LocalDateTime.class, "now")
                .orShould().callMethod(OffsetDateTime.class, "now")
                .orShould().callMethod(ZonedDateTime.class, "now");
        rule.check(classes);
    }

    @Test
    void lowerLayersDoNotImportHigherOnes() {
        noClasses().that().resideInAnyPackage(PURE).should().dependOnClassesThat().resideInAnyPackage(SERVICE)
                .check(classes);
        noClasses().that().resideInAPackage("io.meshwarden.policy..").should().dependOnClassesThat()
                .resideInAnyPackage("io.meshwarden.model..", "io.meshwarden.istio..", "io.meshwarden.evaluate..",
                        "io.meshwarden.policies..")
                .check(classes);
        noClasses().that().resideInAPackage("io.meshwarden.model..").should().dependOnClassesThat()
                .resideInAnyPackage("io.meshwarden.istio..", "io.meshwarden.evaluate..", "io.meshwarden.policies..")
                .check(classes);
        noClasses().that().resideInAPackage("io.meshwarden.istio..").should().dependOnClassesThat()
                .resideInAnyPackage("io.meshwarden.evaluate..", "io.meshwarden.policies..")
                .check(classes);
        // Only the registry names the types; the engine is handed them.
        noClasses().that().resideInAPackage("io.meshwarden.evaluate..").should().dependOnClassesThat()
                .resideInAnyPackage("io.meshwarden.policies..")
                .check(classes);
    }

    @Test
    void onlyTheRegistryNamesTheTypeFolders() {
        noClasses().that().resideOutsideOfPackages("io.meshwarden.policies..").should().dependOnClassesThat()
                .resideInAnyPackage("io.meshwarden.policies.*..").check(classes);
    }
}
