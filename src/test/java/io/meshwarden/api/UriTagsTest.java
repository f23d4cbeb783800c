package io.meshwarden.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import jakarta.ws.rs.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class UriTagsTest {
    @Test
    void everyResourceIsListedSoItsTemplatesAreKept() {
        Set<String> resources = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.meshwarden").stream().filter(c -> c.isAnnotatedWith(Path.class))
                // The dashboard's pages (io.meshwarden.ui) are not under /api: their paths are tagged as they are.
                .filter(c -> c.getAnnotationOfType(Path.class).value().startsWith("/api"))
                .map(JavaClass::getName).collect(Collectors.toSet());
        assertEquals(resources, UriTags.RESOURCES.stream().map(Class::getName).collect(Collectors.toSet()));
    }

    @Test
    void templatesAreKeptAndOtherApiPathsFolded() {
        for (String t : new String[] {"/api/v1/policies", "/api/v1/policies/{name}", "/api/v1/policies/validate",
            "/api/v1/reports/latest", "/api/v1/runs/{id}/revert", "/api/v1/helm/{namespace}/{release}/overlay"}) {
            assertEquals(t, UriTags.fold(t));
        }
        for (String made : new String[] {"/api/v1/made-up", "/api/v1/policies/x", "/api", "/api/v1/policies/{x}",
            "/api/v1/runs/1/revert"}) {
            assertEquals(UriTags.UNKNOWN, UriTags.fold(made));
        }
        assertEquals("NOT_FOUND", UriTags.fold("NOT_FOUND"));
        assertEquals("/q/metrics", UriTags.fold("/q/metrics"));
        assertTrue(UriTags.templates(UriTags.RESOURCES).size() >= 12);
    }
}
