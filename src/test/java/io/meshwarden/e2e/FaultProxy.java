package io.meshwarden.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A TCP proxy on 127.0.0.1 between a client under test and the API server, with faults switched at run time: pass,
 * blackhole (connections are accepted and kept, nothing is forwarded either way), dropped connections and a fixed
 * latency added to every chunk the client sends (so every round trip takes that much longer). TLS passes through
 * untouched: the client still verifies the API server's certificate (issued for IP 127.0.0.1 by controlplane.sh),
 * only the port differs.
 *
 * <p>Dropping a fraction p resets p of new connections at once and, since clients keep connections alive and reuse
 * them, p of the later requests on open ones too (a request starts when the client sends TLS application data after
 * the server spoke), so that every request meets a dropped connection with probability p: on an open connection half
 * of them before the request is forwarded (it never reaches the server), half after, instead of the answer (the
 * server acted on it, the client cannot know). The second half is what exactly-once has to survive.
 *
 * <p>Data that arrives during a blackhole is dropped, not held: when the blackhole is lifted, the connections it
 * swallowed data of are closed (a client sees them reset and reconnects). So nothing sent during a partition reaches
 * the server late; TCP's retransmission after a real partition heals, which could deliver it late, is not modelled.
 */
final class FaultProxy implements AutoCloseable {
    private final ServerSocket server;
    private final InetSocketAddress target;
    private final Random random = new Random(20);
    private final Set<Connection> open = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private volatile boolean blackhole;
    private volatile double dropFraction;
    private volatile long latencyNanos;
    private volatile boolean closed;
    private volatile Trigger<?> trigger;

    /**
     * Requests seen on all connections: each time a client sends TLS application data after the server last spoke.
     * Not exact (a TLS 1.3 client's encrypted Finished can count too), but the same client doing the same work
     * counts the same, so it measures how far a repeated piece of work has got.
     */
    final AtomicLong requests = new AtomicLong();
    final AtomicLong accepted = new AtomicLong();
    /** New connections reset at once. */
    final AtomicLong dropped = new AtomicLong();
    /** Exchanges on open connections reset before the request was forwarded, and after (the answer lost). */
    final AtomicLong requestsLost = new AtomicLong();
    final AtomicLong answersLost = new AtomicLong();
    final AtomicLong delayedChunks = new AtomicLong();
    final AtomicLong swallowedChunks = new AtomicLong();

    private FaultProxy(int targetPort) throws IOException {
        this.target = new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort);
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::accept, "fault-proxy-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A proxy to 127.0.0.1:{@code targetPort}, passing everything until told otherwise. */
    static FaultProxy to(int targetPort) {
        try {
            return new FaultProxy(targetPort);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int port() {
        return server.getLocalPort();
    }

    /** Faults off: every connection passes, no delay; connections a blackhole swallowed data of are closed. */
    FaultProxy pass() {
        dropFraction = 0;
        latencyNanos = 0;
        heal();
        return this;
    }

    /** Accepts and keeps connections, forwarding nothing in either direction, until {@link #heal()}. */
    FaultProxy blackhole() {
        blackhole = true;
        return this;
    }

    /** Ends a blackhole: the connections whose data it swallowed are closed, so none of it arrives late. */
    FaultProxy heal() {
        blackhole = false;
        for (Connection c : open) {
            if (c.swallowed) {
                c.close(true);
            }
        }
        return this;
    }

    /** Resets this fraction of new connections at once, and of the exchanges on open ones (see above). */
    FaultProxy drop(double fraction) {
        this.dropFraction = fraction;
        return this;
    }

    /** Holds every chunk the client sends this long before forwarding it (pipelined: chunks are not serialised). */
    FaultProxy latency(Duration latency) {
        this.latencyNanos = latency.toNanos();
        return this;
    }

    /**
     * Runs {@code action} when request number {@code n} of {@link #requests} arrives, before that request is
     * forwarded: it waits until the action returns, so the client is still waiting for it when the action runs. One
     * at a time; the result (or failure) of the action completes the future returned.
     */
    <T> CompletableFuture<T> atRequest(long n, Supplier<T> action) {
        Trigger<T> t = new Trigger<>(n, action, new CompletableFuture<>());
        trigger = t;
        return t.done;
    }

    private void counted(long n) {
        Trigger<?> t = trigger;
        if (t != null && t.at == n) {
            trigger = null;
            t.fire();
        }
    }

    private record Trigger<T>(long at, Supplier<T> action, CompletableFuture<T> done) {
        void fire() {
            try {
                done.complete(action.get());
            } catch (RuntimeException | Error e) {
                done.completeExceptionally(e);
            }
        }
    }

    String figures() {
        return String.format("connections %d, reset at once %d, requests lost %d, answers lost %d, delayed chunks %d,"
                + " swallowed chunks %d", accepted.get(), dropped.get(), requestsLost.get(), answersLost.get(),
                delayedChunks.get(), swallowedChunks.get());
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // Closing anyway.
        }
        open.forEach(c -> c.close(true));
    }

    private void accept() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            accepted.incrementAndGet();
            if (draw() < dropFraction) {
                dropped.incrementAndGet();
                reset(client);
                continue;
            }
            try {
                Socket upstream = new Socket();
                upstream.connect(target, 5000);
                Connection c = new Connection(client, upstream);
                open.add(c);
                c.start();
            } catch (IOException e) {
                // The API server is down: the client sees its connection reset, as it would with no proxy.
                reset(client);
            }
        }
    }

    private double draw() {
        synchronized (random) {
            return random.nextDouble();
        }
    }

    /** Closes with SO_LINGER 0: the peer gets a reset, not an orderly end of stream. */
    private static void reset(Socket s) {
        try {
            s.setSoLinger(true, 0);
            s.close();
        } catch (IOException ignored) {
            // Gone already.
        }
    }

    /** One proxied connection: a reader and a writer per direction, so that latency delays without serialising. */
    private final class Connection {
        final Socket client;
        final Socket upstream;
        volatile boolean swallowed;
        /** The server spoke since the client last did: the client's next chunk starts an exchange. */
        volatile boolean answered = true;
        /** No request went over it yet. */
        volatile boolean fresh = true;
        /** The current exchange's answer is to be lost: reset at its first chunk. */
        volatile boolean loseAnswer;

        Connection(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        void start() throws IOException {
            pump(client.getInputStream(), upstream.getOutputStream(), true);
            pump(upstream.getInputStream(), client.getOutputStream(), false);
        }

        /** Decides a chunk's fate; false when the connection was reset instead. */
        private boolean admit(boolean fromClient, byte first) {
            if (fromClient) {
                // Only requests (TLS application data, record type 23) start an exchange: the handshake's flights
                // are the new connection's, which was drawn for once when it was accepted.
                if (answered && first == 23) {
                    answered = false;
                    counted(requests.incrementAndGet());
                    if (fresh) {
                        // The connection's first request: drawn for when the connection was accepted.
                        fresh = false;
                        return true;
                    }
                    double d = dropFraction > 0 ? draw() : 1;
                    if (d < dropFraction / 2) {
                        requestsLost.incrementAndGet();
                        close(true);
                        return false;
                    }
                    loseAnswer = d < dropFraction;
                }
                return true;
            }
            answered = true;
            if (loseAnswer) {
                answersLost.incrementAndGet();
                close(true);
                return false;
            }
            return true;
        }

        private void pump(InputStream in, OutputStream out, boolean fromClient) {
            String direction = fromClient ? "up" : "down";
            LinkedBlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
            Thread reader = new Thread(() -> {
                byte[] buffer = new byte[16384];
                try {
                    int n;
                    while ((n = in.read(buffer)) >= 0) {
                        if (blackhole || swallowed) {
                            swallowed = true;
                            swallowedChunks.incrementAndGet();
                            continue;
                        }
                        if (!admit(fromClient, buffer[0])) {
                            break;
                        }
                        long delay = fromClient ? latencyNanos : 0;
                        if (delay > 0) {
                            delayedChunks.incrementAndGet();
                        }
                        byte[] copy = new byte[n];
                        System.arraycopy(buffer, 0, copy, 0, n);
                        queue.put(new Chunk(copy, System.nanoTime() + delay));
                    }
                } catch (IOException | InterruptedException e) {
                    // The connection ended.
                }
                queue.add(Chunk.END);
            }, "fault-proxy-read-" + direction);
            Thread writer = new Thread(() -> {
                try {
                    while (true) {
                        Chunk c = queue.take();
                        if (c == Chunk.END) {
                            break;
                        }
                        long wait = c.due - System.nanoTime();
                        if (wait > 0) {
                            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                        }
                        out.write(c.bytes);
                        out.flush();
                    }
                } catch (IOException | InterruptedException e) {
                    // The connection ended.
                }
                close(false);
            }, "fault-proxy-write-" + direction);
            reader.setDaemon(true);
            writer.setDaemon(true);
            reader.start();
            writer.start();
        }

        /** @param reset send a reset rather than an orderly end (a fault, not the end of a conversation) */
        void close(boolean reset) {
            open.remove(this);
            for (Socket s : new Socket[] {client, upstream}) {
                if (reset) {
                    reset(s);
                } else {
                    try {
                        s.close();
                    } catch (IOException ignored) {
                        // Gone already.
                    }
                }
            }
        }
    }

    private record Chunk(byte[] bytes, long due) {
        static final Chunk END = new Chunk(new byte[0], 0);
    }
}
