package io.meshwarden.e2e;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Base64;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * An HTTPS server on 127.0.0.1 with a key of its own (valid two days, for 127.0.0.1 only), for the admission
 * webhooks the E2E tests register: the API server calls it with the {@link #caBundle()} of the webhook
 * configuration. Not started: the caller adds its contexts, then starts it.
 */
record LoopbackWebhook(HttpsServer server, String caBundle) {

    static LoopbackWebhook create(String name) throws Exception {
        Path dir = Files.createTempDirectory(name);
        Path keystore = dir.resolve("webhook.p12");
        WebhookSelectionE2E.run("keytool", "-genkeypair", "-alias", "webhook", "-keyalg", "EC", "-groupname",
                "secp256r1", "-validity", "2", "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-storetype",
                "PKCS12", "-keystore", keystore.toString(), "-storepass", "changeit", "-keypass", "changeit");
        Path cert = dir.resolve("webhook.pem");
        WebhookSelectionE2E.run("keytool", "-exportcert", "-rfc", "-alias", "webhook", "-keystore",
                keystore.toString(), "-storepass", "changeit", "-file", cert.toString());
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(keystore.toFile())) {
            ks.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "changeit".toCharArray());
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), null, null);
        HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.setHttpsConfigurator(new HttpsConfigurator(ssl));
        return new LoopbackWebhook(server, Base64.getEncoder().encodeToString(Files.readAllBytes(cert)));
    }

    String url(String path) {
        return "https://127.0.0.1:" + server.getAddress().getPort() + path;
    }
}
