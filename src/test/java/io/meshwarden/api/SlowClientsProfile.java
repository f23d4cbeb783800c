package io.meshwarden.api;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/** Short deadlines, so that the slow-client tests wait seconds rather than the production defaults. */
public class SlowClientsProfile implements QuarkusTestProfile {
    static final int BODY_TIMEOUT_SECONDS = 2;
    static final int IDLE_TIMEOUT_SECONDS = 3;

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("meshwarden.http.body-timeout", BODY_TIMEOUT_SECONDS + "s",
                "quarkus.http.idle-timeout", IDLE_TIMEOUT_SECONDS + "s");
    }
}
