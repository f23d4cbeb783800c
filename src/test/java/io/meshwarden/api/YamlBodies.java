package io.meshwarden.api;

import io.restassured.RestAssured;
import io.restassured.config.EncoderConfig;
import io.restassured.http.ContentType;

/** Lets REST Assured send YAML bodies as they are written. */
final class YamlBodies {
    private YamlBodies() {
    }

    static void install() {
        RestAssured.config = RestAssured.config().encoderConfig(EncoderConfig.encoderConfig()
                .encodeContentTypeAs("application/yaml", ContentType.TEXT)
                // Text bodies otherwise go out as charset=ISO-8859-1, which the API refuses (415) as it should.
                .defaultContentCharset(java.nio.charset.StandardCharsets.UTF_8));
    }
}
