package io.meshwarden.http;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RequestDeadlineTest {

    /**
     * A POST that sends no body (Content-Length 0, or neither header) has nothing to wait for: the body deadline must
     * not run into the handler's work (a 408 after 10 s for an audit that read the cluster longer, EtcdFaultsE2E).
     */
    @Test
    void onlyARequestWithABodyToComeIsGivenTheBodyDeadline() {
        assertFalse(RequestDeadline.awaitsBody("0", null));
        assertFalse(RequestDeadline.awaitsBody(null, null));
        assertTrue(RequestDeadline.awaitsBody("12", null));
        assertTrue(RequestDeadline.awaitsBody(null, "chunked"));
        assertTrue(RequestDeadline.awaitsBody("x", null));
    }
}
