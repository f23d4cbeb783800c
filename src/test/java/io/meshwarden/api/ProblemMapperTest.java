package io.meshwarden.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshwarden.cluster.LiveReadException;
import jakarta.ws.rs.core.Response;
import org.junit.jupiter.api.Test;

class ProblemMapperTest {

    /**
     * An audit whose reads failed past the retries (EtcdFaultsE2E: etcd killed mid-audit) is the cluster's failure:
     * a 503 naming what could not be read, not a 500 "see its log".
     */
    @Test
    void aClusterReadThatFailedIsA503NamingWhatFailed() {
        String why = "cannot list cronjobs.batch/v1: HTTP 500: etcdserver: request timed out (gave up after 5"
                + " attempts)";
        Response r = new ProblemMapper().toResponse(new LiveReadException("cronjobs.batch", 500, why, null));

        assertEquals(503, r.getStatus());
        assertEquals("application/problem+json", r.getMediaType().toString());
        String body = r.getEntity().toString();
        assertTrue(body.contains("cluster-unavailable") && body.contains(why), body);
    }
}
