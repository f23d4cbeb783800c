package io.meshwarden.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Issue 14, finding 5: clients that stall or trickle a request are cut off within a bound, and cost no thread. */
@QuarkusTest
@TestProfile(SlowClientsProfile.class)
@WithTestResource(TestDirs.class)
class SlowClientsTest {
    /** The deadline plus room for a loaded machine; far below the 60 s a stalled body held before. */
    private static final long BODY_BOUND_MILLIS = (SlowClientsProfile.BODY_TIMEOUT_SECONDS + 4) * 1000L;
    private static final long IDLE_BOUND_MILLIS = (SlowClientsProfile.IDLE_TIMEOUT_SECONDS + 4) * 1000L;
    private static final String HEAD = "POST /api/v1/policies HTTP/1.1\r\nHost: localhost\r\n"
            + "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n";

    private final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void closeSockets() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
    }

    private Socket open() throws IOException {
        Socket s = new Socket("localhost", RestAssured.port);
        sockets.add(s);
        return s;
    }

    /** What the server sent until it closed the connection; fails when it is still open after the bound. */
    private static String readUntilClosed(Socket s, long boundMillis) throws IOException {
        s.setSoTimeout((int) boundMillis);
        InputStream in = s.getInputStream();
        StringBuilder got = new StringBuilder();
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = in.read(buf)) >= 0; ) {
                got.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("connection still open after " + boundMillis + " ms; got: " + got);
        } catch (IOException reset) {
            // a reset is a close too
        }
        return got.toString();
    }

    @Test
    void aStalledBodyGets408AndTheConnectionIsClosed() throws IOException {
        Socket s = open();
        long started = System.nanoTime();
        OutputStream out = s.getOutputStream();
        out.write((HEAD + "{\"apiVersion\":").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String answer = readUntilClosed(s, BODY_BOUND_MILLIS);
        long took = (System.nanoTime() - started) / 1_000_000;
        assertTrue(answer.startsWith("HTTP/1.1 408"), answer);
        assertTrue(answer.contains("application/problem+json") && answer.contains("meshwarden.http.body-timeout"),
                answer);
        assertTrue(took >= SlowClientsProfile.BODY_TIMEOUT_SECONDS * 1000L - 200, "closed early: " + took + " ms");
    }

    @Test
    void aTrickledBodyIsCutOffAtTheDeadlineNotAtTheIdleTimeout() throws Exception {
        Socket s = open();
        OutputStream out = s.getOutputStream();
        out.write(HEAD.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        long started = System.nanoTime();
        Thread trickler = new Thread(() -> {
            try {
                for (int i = 0; i < 200; i++) {
                    out.write(' ');
                    out.flush();
                    Thread.sleep(250);
                }
            } catch (IOException | InterruptedException closed) {
                // the server closed the connection: what the test waits for
            }
        });
        trickler.setDaemon(true);
        trickler.start();
        String answer = readUntilClosed(s, BODY_BOUND_MILLIS);
        trickler.interrupt();
        assertTrue(answer.startsWith("HTTP/1.1 408"), answer);
        long took = (System.nanoTime() - started) / 1_000_000;
        assertTrue(took < BODY_BOUND_MILLIS, took + " ms");
    }

    @Test
    void unfinishedHeadersAreClosedAtTheIdleTimeout() throws IOException {
        Socket s = open();
        s.getOutputStream().write("POST /api/v1/policies HTTP/1.1\r\nHost: localhost\r\n"
                .getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        readUntilClosed(s, IDLE_BOUND_MILLIS);
    }

    @Test
    void fiftyStalledClientsDoNotSlowAnAdminRead() throws IOException {
        given().get("/api/v1/policies").then().statusCode(200);
        for (int i = 0; i < 50; i++) {
            Socket s = open();
            s.getOutputStream().write((HEAD + "{").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
        }
        long started = System.nanoTime();
        for (int i = 0; i < 5; i++) {
            given().get("/api/v1/policies").then().statusCode(200);
        }
        long took = (System.nanoTime() - started) / 1_000_000;
        assertTrue(took < 2_000, "5 reads with 50 stalled clients took " + took + " ms");
        for (Socket s : sockets) {
            readUntilClosed(s, BODY_BOUND_MILLIS);
        }
    }
}
