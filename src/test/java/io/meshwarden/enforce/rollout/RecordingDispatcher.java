package io.meshwarden.enforce.rollout;

import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The fabric8 CRUD mock, recording each request with the fake time it arrived at. */
final class RecordingDispatcher extends Dispatcher {
    record Request(String method, String path, Instant at) {
        /** Sent by the enforcer (the Applier's field manager), not by the test playing the controllers. */
        boolean enforcerWrite() {
            return !"GET".equals(method) && path.contains("fieldManager=meshwarden");
        }
    }

    private final KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Clock clock;

    RecordingDispatcher(Clock clock) {
        this.clock = clock;
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        requests.add(new Request(request.getMethod(), URLDecoder.decode(request.getPath(), StandardCharsets.UTF_8),
                clock.instant()));
        return crud.dispatch(request);
    }

    List<Request> enforcerWrites() {
        List<Request> out = new ArrayList<>();
        for (Request r : requests) {
            if (r.enforcerWrite()) {
                out.add(r);
            }
        }
        return out;
    }

    List<Request> writes() {
        List<Request> out = new ArrayList<>();
        for (Request r : requests) {
            if (!"GET".equals(r.method())) {
                out.add(r);
            }
        }
        return out;
    }

    void clear() {
        requests.clear();
    }
}
