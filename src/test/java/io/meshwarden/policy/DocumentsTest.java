package io.meshwarden.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class DocumentsTest {

    private static DocumentSyntaxException syntax(String text, boolean yaml) {
        return assertThrows(DocumentSyntaxException.class,
                () -> Documents.parseAll(text.getBytes(StandardCharsets.UTF_8), yaml));
    }

    @Test
    void multiDocumentYamlKeepsStartLines() {
        List<Documents.Located> docs = Documents.parseAll("""
                a: 1
                ---
                # comment only
                ---
                b: 2
                c: 3
                """.getBytes(StandardCharsets.UTF_8), true);
        assertEquals(2, docs.size());
        assertEquals(1, docs.get(0).line());
        assertEquals(5, docs.get(1).line());
        assertEquals(2, docs.get(1).node().get("b").asInt());
    }

    @Test
    void duplicateKeysAreRefused() {
        DocumentSyntaxException e = syntax("a: 1\nb: 2\na: 3\n", true);
        assertTrue(e.getMessage().toLowerCase().contains("duplicate"), e.getMessage());
        assertTrue(syntax("{\"a\":1,\"a\":2}", false).getMessage().toLowerCase().contains("duplicate"));
    }

    @Test
    void aliasBombIsRefused() {
        StringBuilder sb = new StringBuilder("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for (char c = 'b'; c <= 'k'; c++) {
            char p = (char) (c - 1);
            sb.append(c).append(": &").append(c).append(" [*").append(p).append(", *").append(p).append(", *")
                    .append(p).append(", *").append(p).append(", *").append(p).append(", *").append(p).append("]\n");
        }
        // Either refused or read without expansion: what must never happen is 6^10 copies in memory.
        try {
            List<Documents.Located> docs = Documents.parseAll(sb.toString().getBytes(StandardCharsets.UTF_8), true);
            assertTrue(docs.get(0).node().toString().length() < 10_000, "aliases were expanded");
        } catch (DocumentSyntaxException e) {
            assertTrue(e.getMessage().toLowerCase().contains("alias"), e.getMessage());
        }
    }

    @Test
    void deepNestingIsRefused() {
        String deep = "[".repeat(200) + "]".repeat(200);
        syntax(deep, false);
        syntax(deep, true);
    }

    @Test
    void binaryAndTrailingGarbageAreRefusedWithPosition() {
        assertTrue(syntax("a: 1\u0000", true).getMessage().contains("binary"));
        DocumentSyntaxException e = syntax("{\"a\": 1} {\"b\": 2}", false);
        assertEquals(1, e.line());
        DocumentSyntaxException bad = syntax("a: 1\nb: [unclosed\n", true);
        assertTrue(bad.line() >= 2, "line " + bad.line());
        assertThrows(DocumentSyntaxException.class, () -> Documents.parseOne(new byte[0], false));
        assertThrows(DocumentSyntaxException.class, () -> Documents.parseOne("a: 1\n---\nb: 2\n"
                .getBytes(StandardCharsets.UTF_8), true));
    }

    @Test
    void yamlTagsDoNotInstantiateTypes() {
        // A Java type tag must not construct anything; at most it is read as data.
        List<Documents.Located> docs = Documents.parseAll("a: !!javax.script.ScriptEngineManager [x]\n"
                .getBytes(StandardCharsets.UTF_8), true);
        assertTrue(docs.get(0).node().get("a").isArray() || docs.get(0).node().get("a").isTextual());
    }
}
