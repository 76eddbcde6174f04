package dev.herald.dispatcher.connector.smpp;

import dev.herald.dispatcher.connector.Connector;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.connector.PeerEvents;
import dev.herald.dispatcher.connector.SendResult;
import dev.herald.throttle.RateLimiter;

import org.jsmpp.InvalidResponseException;
import org.jsmpp.PDUException;
import org.jsmpp.bean.DataCodings;
import org.jsmpp.bean.ESMClass;
import org.jsmpp.bean.NumberingPlanIndicator;
import org.jsmpp.bean.OptionalParameter;
import org.jsmpp.bean.RegisteredDelivery;
import org.jsmpp.bean.TypeOfNumber;
import org.jsmpp.extra.NegativeResponseException;
import org.jsmpp.extra.ResponseTimeoutException;
import org.jsmpp.session.SMPPSession;
import org.jsmpp.session.SubmitSmResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link Connector} to an SMSC over SMPP 3.4 (jSMPP): {@link SmppSettings#binds()} binds, each
 * with its own window of {@link SmppSettings#window()} unanswered {@code submit_sm}.
 *
 * <pre>{@code
 * SmppConnector smpp = SmppConnector.start(settings, limiter, peerEvents);
 * smpp.send(message).thenAccept(result -> ...);   // Accepted with the SMSC's id, Failed, Throttled, ...
 * smpp.close();                                   // answers what is in flight, unbinds
 * }</pre>
 *
 * <p><b>Sessions.</b> Each bind is one {@code bind_transceiver}, or a {@code bind_transmitter} and
 * a {@code bind_receiver} ({@link SmppSettings.BindMode}); each session is kept by a
 * {@link SmppSession} that binds it, checks it with {@code enquire_link} when idle, and binds it
 * again when it breaks, after a jittered exponential backoff so that many binds do not storm
 * the SMSC. A send waits in one queue shared by the binds until a bound transmitter with a free
 * window slot takes it; one that waits longer than {@link SmppSettings#responseTimeout()}
 * because no bind is up is answered {@link SendResult.Throttled} (not sent: the campaign retries
 * it, and the shared rate limiter backs off).
 *
 * <p><b>Answers.</b> {@code ESME_ROK}: {@link SendResult.Accepted} with the SMSC's id (each
 * part's id, for a concatenated message), after {@link PeerEvents#accepted} made the ids
 * durable; {@code ESME_RTHROTTLED} (0x58) and {@code ESME_RMSGQFUL} (0x14):
 * {@link SendResult.Throttled}, reported to the rate limiter; a destination or content the SMSC
 * refuses for good: {@link SendResult.Failed} with a named reason ({@link SmppStatus}); any other
 * status: {@link SendResult.TransientFailure}. No answer within the response timeout, or the
 * session lost while waiting: {@link SendResult.Unconfirmed} — the SMSC may have taken it, so it
 * is never sent again. A later part of a concatenated message that is throttled is sent again
 * here (the earlier parts are taken); refused for good, the message is unconfirmed.
 *
 * <p><b>Deliveries.</b> A {@code deliver_sm} that is a receipt goes to
 * {@link PeerEvents#receipt}, any other to {@link PeerEvents#reply}; each is acknowledged with
 * {@code deliver_sm_resp} only once that returned (see {@link SmppSession}).
 *
 * <p>Thread-safe. Threads: per session one keeper and jSMPP's reader and enquire-link threads;
 * per bind {@link SmppSettings#window()} senders (jSMPP's {@code submit_sm} blocks until its
 * answer); one housekeeping thread.
 */
public final class SmppConnector implements Connector {

    private static final Logger LOG = LoggerFactory.getLogger(SmppConnector.class);
    /** How long a sender waits for a queued send or a bound session before looking again. */
    private static final long POLL_MS = 100;
    /** Sends of a later part throttled or failed for now before the message is unconfirmed. */
    private static final int PART_RETRIES = 8;

    private final SmppSettings settings;
    private final RateLimiter limiter;
    private final PeerEvents events;
    private final LinkedBlockingDeque<Pending> queue = new LinkedBlockingDeque<>();
    private final List<SmppSession> transmitters = new ArrayList<>();
    private final List<SmppSession> sessions = new ArrayList<>();
    private final List<Thread> senders = new ArrayList<>();
    private final ScheduledExecutorService housekeeping;
    private final AtomicInteger reference = new AtomicInteger(ThreadLocalRandom.current().nextInt(256));
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final Counters counters = new Counters();

    /** What the connector counted since it started; read by the metrics. */
    public static final class Counters {
        /** {@code submit_sm} written (parts, retries included). */
        public final LongAdder submits = new LongAdder();
        /** Parts accepted. */
        public final LongAdder partsAccepted = new LongAdder();
        /** Messages unconfirmed. */
        public final LongAdder unconfirmed = new LongAdder();
        /** Sends answered throttled because no bind was up. */
        public final LongAdder unbound = new LongAdder();
        /** Receipts handed on, by whether they were read. */
        public final LongAdder receipts = new LongAdder();
        /** {@code deliver_sm} that could not be read (bad receipt text, bad coding). */
        public final LongAdder invalidDeliveries = new LongAdder();
        /** Replies handed on. */
        public final LongAdder replies = new LongAdder();
        /** Binds made (first and again). */
        public final LongAdder binds = new LongAdder();
    }

    /** One send waiting for, or held by, a sender. */
    private static final class Pending {
        final OutboundMessage message;
        final ShortMessages.Encoded encoded;
        final CompletableFuture<SendResult> answer = new CompletableFuture<>();
        final AtomicBoolean taken = new AtomicBoolean();
        final long queuedAtNanos = System.nanoTime();

        Pending(OutboundMessage message, ShortMessages.Encoded encoded) {
            this.message = message;
            this.encoded = encoded;
        }
    }

    private SmppConnector(SmppSettings settings, RateLimiter limiter, PeerEvents events) {
        this.settings = settings;
        this.limiter = limiter;
        this.events = events;
        this.housekeeping = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "herald-smpp-" + settings.name() + "-housekeeping"));
    }

    /**
     * Starts binding (in the background: this returns at once) and the senders.
     *
     * @param settings the account
     * @param limiter  the connector's shared token bucket, told of every throttling answer; or null
     * @param events   where accepted ids, receipts and replies go
     * @return the connector
     */
    public static SmppConnector start(SmppSettings settings, RateLimiter limiter, PeerEvents events) {
        SmppConnector c = new SmppConnector(settings, limiter, events == null ? PeerEvents.NONE : events);
        for (int b = 0; b < settings.binds(); b++) {
            SmppSession tx;
            if (settings.bindMode() == SmppSettings.BindMode.TRANSCEIVER) {
                tx = new SmppSession(settings, b, SmppSession.Role.TRANSCEIVER, c.events, c.counters);
                c.sessions.add(tx);
            } else {
                tx = new SmppSession(settings, b, SmppSession.Role.TRANSMITTER, c.events, c.counters);
                c.sessions.add(tx);
                c.sessions.add(new SmppSession(settings, b, SmppSession.Role.RECEIVER, c.events, c.counters));
            }
            c.transmitters.add(tx);
            for (int w = 0; w < settings.window(); w++) {
                SmppSession bound = tx;
                Thread t = new Thread(() -> c.sendLoop(bound), "herald-smpp-" + settings.name() + "-" + b + "-" + w);
                t.setDaemon(true);
                c.senders.add(t);
            }
        }
        c.sessions.forEach(SmppSession::start);
        c.senders.forEach(Thread::start);
        long every = Math.max(10, Math.min(POLL_MS, settings.responseTimeout().toMillis() / 4));
        c.housekeeping.scheduleWithFixedDelay(c::expireUnbound, every, every, TimeUnit.MILLISECONDS);
        return c;
    }

    @Override
    public String name() {
        return settings.name();
    }

    @Override
    public double maxRatePerSecond() {
        return settings.rate() > 0 ? settings.rate() : Double.POSITIVE_INFINITY;
    }

    @Override
    public int window() {
        return settings.binds() * settings.window();
    }

    /** @return the account's settings */
    public SmppSettings settings() {
        return settings;
    }

    /** @return the counters, for the metrics */
    public Counters counters() {
        return counters;
    }

    /** @return sessions bound now (transmitters, receivers and transceivers) */
    public int sessionsBound() {
        int n = 0;
        for (SmppSession s : sessions) {
            if (s.isBound()) {
                n++;
            }
        }
        return n;
    }

    /** @return sessions the account has when every bind is up */
    public int sessionsConfigured() {
        return sessions.size();
    }

    /** @return sends handed over and not yet answered (queued or with the SMSC) */
    public int inFlight() {
        return inFlight.get();
    }

    /**
     * @param timeoutMillis how long to wait
     * @return whether every session was bound within the time
     * @throws InterruptedException if interrupted
     */
    public boolean awaitBound(long timeoutMillis) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (sessionsBound() < sessions.size()) {
            if (System.nanoTime() > end) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    @Override
    public CompletionStage<SendResult> send(OutboundMessage message) {
        if (closing.get()) {
            throw new IllegalStateException("connector " + settings.name() + " is closed");
        }
        if (inFlight.get() >= window()) {
            throw new IllegalStateException("connector " + settings.name() + ": " + window() + " sends unanswered already");
        }
        ShortMessages.Encoded encoded;
        try {
            encoded = ShortMessages.encode(message.text(), message.encoding(), settings.longMessages(),
                    reference.getAndIncrement());
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(new SendResult.Failed("unencodable"));
        }
        Pending p = new Pending(message, encoded);
        inFlight.incrementAndGet();
        queue.offerLast(p);
        if (closing.get()) {
            answerQueued(); // close() may have drained the queue already
        }
        return p.answer;
    }

    /** A sender: takes queued sends while its transmitter is bound, one at a time (one window slot). */
    private void sendLoop(SmppSession tx) {
        while (!Thread.currentThread().isInterrupted()) {
            Pending p = null;
            try {
                if (closing.get()) {
                    return; // close() answers what is still queued
                }
                SMPPSession session = tx.awaitBound(POLL_MS);
                if (session == null) {
                    if (closing.get() && queue.isEmpty()) {
                        return;
                    }
                    continue;
                }
                p = queue.pollFirst(POLL_MS, TimeUnit.MILLISECONDS);
                if (p == null) {
                    continue;
                }
                if (!p.taken.compareAndSet(false, true)) {
                    p = null;
                    continue;
                }
                SendResult r = submit(tx, session, p);
                if (r == null) {
                    // the session was not bound when the first part was tried: nothing went out
                    p.taken.set(false);
                    queue.offerFirst(p);
                    p = null;
                    if (closing.get()) {
                        answerQueued();
                    }
                    continue;
                }
                finish(p, r);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // a bug must not leave a send unanswered (its campaign would wait for ever): it may have gone out
                LOG.error("connector {}: sending failed unexpectedly; the message is unconfirmed", settings.name(), e);
                if (p != null && !p.answer.isDone()) {
                    finish(p, new SendResult.Unconfirmed("internal-error"));
                }
            }
        }
    }

    private void finish(Pending p, SendResult r) {
        inFlight.decrementAndGet();
        if (r instanceof SendResult.Throttled t && limiter != null) {
            limiter.onThrottled(System.nanoTime(), t.retryAfterNanos());
        }
        if (r instanceof SendResult.Unconfirmed) {
            counters.unconfirmed.increment();
        }
        p.answer.complete(r);
    }

    /**
     * Submits every part of {@code p}.
     *
     * @return the answer; null if nothing was written because the session was not bound
     */
    private SendResult submit(SmppSession keeper, SMPPSession session, Pending p) {
        ShortMessages.Encoded e = p.encoded;
        OutboundMessage m = p.message;
        String from = settings.sourceAddress().isEmpty() ? m.from() : settings.sourceAddress();
        String source = from.startsWith("+") ? from.substring(1) : from;
        int ton = settings.sourceTon() >= 0 ? settings.sourceTon() : SmppStatus.sourceTon(from);
        int npi = settings.sourceNpi() >= 0 ? settings.sourceNpi() : SmppStatus.sourceNpi(ton);
        String destination = m.to().startsWith("+") ? m.to().substring(1) : m.to();
        List<String> ids = new ArrayList<>(e.parts().size());
        long sentAt = System.nanoTime();
        for (int part = 0; part < e.parts().size(); part++) {
            int tries = 0;
            while (true) {
                try {
                    counters.submits.increment();
                    sentAt = System.nanoTime();
                    OptionalParameter[] tlvs = e.payload() == null ? new OptionalParameter[0]
                            : new OptionalParameter[]{new OptionalParameter.Message_payload(e.payload())};
                    SubmitSmResult r = session.submitShortMessage(settings.serviceType(), TypeOfNumber.valueOf((byte) ton),
                            NumberingPlanIndicator.valueOf((byte) npi), source, TypeOfNumber.valueOf((byte) settings.destTon()),
                            NumberingPlanIndicator.valueOf((byte) settings.destNpi()), destination,
                            new ESMClass(e.udh() ? ShortMessages.UDHI : 0), (byte) 0, (byte) 0, null, null,
                            new RegisteredDelivery(settings.receipts() ? 1 : 0), (byte) 0,
                            DataCodings.newInstance(e.dataCoding()), (byte) 0, e.parts().get(part), tlvs);
                    keeper.answered();
                    String id = r.getMessageId();
                    if (id == null || id.isBlank()) {
                        // taken all the same: sent, but no receipt can find it
                        LOG.warn("connector {}: submit_sm_resp without a message id for recipient {} of campaign {}",
                                settings.name(), m.recipientId(), m.campaignId());
                        id = "";
                    }
                    ids.add(id);
                    counters.partsAccepted.increment();
                    remember(m, part + 1, e.parts().size(), id);
                    break;
                } catch (NegativeResponseException ex) {
                    keeper.answered();
                    int status = ex.getCommandStatus();
                    SmppStatus.Kind kind = SmppStatus.kind(status);
                    if (part == 0) {
                        return switch (kind) {
                            case THROTTLED -> new SendResult.Throttled(-1);
                            case PERMANENT -> new SendResult.Failed(SmppStatus.reason(status));
                            case TRANSIENT -> new SendResult.TransientFailure(SmppStatus.reason(status));
                        };
                    }
                    if (kind == SmppStatus.Kind.PERMANENT || ++tries > PART_RETRIES) {
                        return partial(part, SmppStatus.reason(status));
                    }
                    if (kind == SmppStatus.Kind.THROTTLED && limiter != null) {
                        limiter.onThrottled(System.nanoTime(), -1);
                    }
                    if (!sleep(Math.min(2_000, 50L << tries))) {
                        return partial(part, "interrupted");
                    }
                    if (!session.getSessionState().isTransmittable()) {
                        return partial(part, "connection-lost");
                    }
                } catch (ResponseTimeoutException ex) {
                    LOG.warn("connector {}: no submit_sm_resp within {} for recipient {} of campaign {}: unconfirmed",
                            settings.name(), settings.responseTimeout(), m.recipientId(), m.campaignId());
                    keeper.suspect(session, sentAt);
                    return new SendResult.Unconfirmed(part == 0 ? "timeout" : "partial-timeout");
                } catch (InvalidResponseException ex) {
                    LOG.warn("connector {}: invalid submit_sm_resp for recipient {}: {}: unconfirmed", settings.name(),
                            m.recipientId(), ex.getMessage());
                    return new SendResult.Unconfirmed(part == 0 ? "invalid-response" : "partial-invalid-response");
                } catch (PDUException ex) {
                    LOG.warn("connector {}: message to recipient {} cannot be put in a PDU: {}", settings.name(),
                            m.recipientId(), ex.getMessage());
                    return part == 0 ? new SendResult.Failed("invalid-pdu") : partial(part, "invalid-pdu");
                } catch (IOException ex) {
                    if (part == 0 && SmppSession.notBound(ex)) {
                        return null;
                    }
                    LOG.warn("connector {}: session {} lost while sending to recipient {} of campaign {}: unconfirmed ({})",
                            settings.name(), keeper.label(), m.recipientId(), m.campaignId(), ex.getMessage());
                    return new SendResult.Unconfirmed(part == 0 ? "connection-lost" : "partial-connection-lost");
                }
            }
        }
        return new SendResult.Accepted(ids.get(0), System.currentTimeMillis(), ids);
    }

    /** Hands an accepted part's id to the events (the message-id map), so that its receipt finds it. */
    private void remember(OutboundMessage m, int part, int parts, String id) {
        if (id.isEmpty()) {
            return;
        }
        String key;
        try {
            key = MessageIds.key(id, settings.submitIds());
        } catch (IllegalArgumentException ex) {
            LOG.warn("connector {}: SMSC id of recipient {}: {}; kept as text", settings.name(), m.recipientId(),
                    ex.getMessage());
            key = MessageIds.textKey(id);
        }
        try {
            events.accepted(settings.name(), m, part, parts, key);
        } catch (IOException | RuntimeException ex) {
            LOG.error("connector {}: message id of part {} of recipient {} of campaign {} could not be stored; its receipt"
                    + " will not match: {}", settings.name(), part, m.recipientId(), m.campaignId(), ex.toString());
        }
    }

    private SendResult partial(int part, String reason) {
        return part == 0 ? new SendResult.TransientFailure(reason) : new SendResult.Unconfirmed("partial-" + reason);
    }

    /** Answers sends that waited too long for a bound session: not sent, so throttled (retried later). */
    private void expireUnbound() {
        long limit = settings.responseTimeout().toNanos();
        long now = System.nanoTime();
        for (Pending p : queue) {
            if (now - p.queuedAtNanos < limit) {
                break;
            }
            boolean anyBound = false;
            for (SmppSession s : transmitters) {
                anyBound |= s.isBound();
            }
            if (anyBound && !closing.get()) {
                break;
            }
            if (p.taken.compareAndSet(false, true)) {
                queue.remove(p);
                counters.unbound.increment();
                finish(p, closing.get() ? new SendResult.TransientFailure("connector-closed")
                        : new SendResult.Throttled(settings.reconnectInitial().toNanos()));
            }
        }
    }

    /**
     * Stops taking sends; waits (up to the response timeout, plus a second) for the sends in
     * flight to be answered, answers what is still queued {@code connector-closed} (not sent),
     * unbinds every session.
     */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        // senders take nothing more; those submitting finish (answered, or unconfirmed at the response timeout)
        answerQueued();
        long end = System.nanoTime() + settings.responseTimeout().toNanos() + TimeUnit.SECONDS.toNanos(1);
        for (Thread t : senders) {
            try {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        answerQueued();
        senders.forEach(Thread::interrupt);
        housekeeping.shutdownNow();
        sessions.forEach(SmppSession::close);
        LOG.info("connector {}: closed", settings.name());
    }

    /** Answers every queued send {@code connector-closed}: not sent, for certain. */
    private void answerQueued() {
        Pending p;
        while ((p = queue.pollFirst()) != null) {
            if (p.taken.compareAndSet(false, true)) {
                finish(p, new SendResult.TransientFailure("connector-closed"));
            }
        }
    }

    private static boolean sleep(long ms) {
        try {
            Thread.sleep(ms);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
