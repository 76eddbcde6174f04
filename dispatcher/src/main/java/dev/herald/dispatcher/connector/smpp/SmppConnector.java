package dev.herald.dispatcher.connector.smpp;

import dev.herald.dispatcher.connector.Connector;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.connector.PeerEvents;
import dev.herald.dispatcher.connector.SendResult;
import dev.herald.throttle.RateLimiter;

import org.jsmpp.PDUStringException;
import org.jsmpp.bean.OptionalParameter;
import org.jsmpp.util.DefaultComposer;
import org.jsmpp.util.DefaultDecomposer;
import org.jsmpp.util.PDUComposer;
import org.jsmpp.util.PDUDecomposer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executors;
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
 * the SMSC. A send goes out at once on a bound transmitter with a free window slot (the binds
 * taken in turn), or waits in one queue shared by the binds until a slot frees or a bind comes
 * up; one that waits longer than {@link SmppSettings#responseTimeout()}
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
 * <p><b>Asynchronous.</b> A {@code submit_sm} is written by its session's {@link SmppLink} and
 * answered where its {@code submit_sm_resp} is read, matched by sequence number: the window is a
 * count of slots, no thread waits for an answer, and a message crosses threads about once
 * (jSMPP's own session blocks a thread per {@code submit_sm}; Herald uses jSMPP for the PDUs,
 * not for the session). The next part of a concatenated message is written when the previous
 * part is accepted, on the same session.
 *
 * <p>Thread-safe. Threads: per session one keeper and its link's reader and delivery
 * threads; one housekeeping thread (timeouts, {@code enquire_link}, sends waiting for a bind,
 * a later part's retry).
 */
public final class SmppConnector implements Connector {

    private static final Logger LOG = LoggerFactory.getLogger(SmppConnector.class);
    /** Longest interval of the housekeeping (timeouts, idle checks, sends waiting for a bind). */
    private static final long POLL_MS = 100;
    private static final PDUComposer COMPOSER = new DefaultComposer();
    private static final PDUDecomposer DECOMPOSER = new DefaultDecomposer();
    /** Sends of a later part throttled or failed for now before the message is unconfirmed. */
    private static final int PART_RETRIES = 8;

    private final SmppSettings settings;
    private final RateLimiter limiter;
    private final PeerEvents events;
    private final ConcurrentLinkedDeque<Pending> queue = new ConcurrentLinkedDeque<>();
    private final List<SmppSession> transmitters = new ArrayList<>();
    private final List<SmppSession> sessions = new ArrayList<>();
    private final AtomicInteger turn = new AtomicInteger();
    private final ScheduledExecutorService housekeeping;
    private final AtomicInteger reference = new AtomicInteger(ThreadLocalRandom.current().nextInt(256));
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Later parts waiting in the housekeeping for their retry; close() answers those it drops. */
    private final Set<Pending> retrying = ConcurrentHashMap.newKeySet();
    /** Calls of {@link #drain} not yet served: the thread draining goes round again while there are any. */
    private final AtomicInteger drainRequests = new AtomicInteger();
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

    /**
     * One send, queued or going out. Once taken, one thread at a time works on it (the sender,
     * then the reader that read an answer, or the housekeeping for a retry), each handing it on.
     */
    private static final class Pending {
        final OutboundMessage message;
        final ShortMessages.Encoded encoded;
        final CompletableFuture<SendResult> answer = new CompletableFuture<>();
        final AtomicBoolean taken = new AtomicBoolean();
        /** Set once it is answered: a second answer (a bug's catch-all after a first) changes nothing. */
        final AtomicBoolean finished = new AtomicBoolean();
        final long queuedAtNanos = System.nanoTime();
        final List<String> ids = new ArrayList<>(1);
        /** The session whose window slot it holds, while going out. */
        SmppSession session;
        /** The part going out, from 0. */
        int part;
        /** Sends of the current part throttled or failed for now. */
        int tries;

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
     * Starts binding (in the background: this returns at once) and the housekeeping.
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
                tx = new SmppSession(settings, b, SmppSession.Role.TRANSCEIVER, c.events, c.counters, c::drain);
                c.sessions.add(tx);
            } else {
                tx = new SmppSession(settings, b, SmppSession.Role.TRANSMITTER, c.events, c.counters, c::drain);
                c.sessions.add(tx);
                c.sessions.add(new SmppSession(settings, b, SmppSession.Role.RECEIVER, c.events, c.counters, () -> { }));
            }
            c.transmitters.add(tx);
        }
        c.sessions.forEach(SmppSession::start);
        long every = Math.max(10, Math.min(POLL_MS, settings.responseTimeout().toMillis() / 4));
        c.housekeeping.scheduleWithFixedDelay(c::housekeep, every, every, TimeUnit.MILLISECONDS);
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
        if (!tryStart(p)) {
            queue.offerLast(p);
            drain(); // a slot may have freed, or a bind come up, since tryStart looked
        }
        if (closing.get()) {
            answerQueued(); // close() may have drained the queue already
        }
        return p.answer;
    }

    /** @return whether {@code p} went out on a free window slot of a bound transmitter (the binds taken in turn) */
    private boolean tryStart(Pending p) {
        int n = transmitters.size();
        int first = turn.getAndIncrement();
        for (int i = 0; i < n; i++) {
            SmppSession tx = transmitters.get(Math.floorMod(first + i, n));
            if (tx.link() != null && tx.acquire()) {
                if (!p.taken.compareAndSet(false, true)) {
                    tx.release();
                    return true; // answered meanwhile (expired, closing)
                }
                if (startOn(tx, p)) {
                    return true;
                }
                p.session = null; // its slot is given back here: a later finish must not give it back again
                p.taken.set(false);
                tx.release();
            }
        }
        return false;
    }

    /**
     * Sends queued sends while bound transmitters have free slots; called when a slot frees or a
     * bind comes up. One thread drains at a time and goes round again for each call made
     * meanwhile, so a slot freed while the drain held a send out of the queue (to try it, and put
     * it back) is not missed.
     */
    private void drain() {
        if (drainRequests.getAndIncrement() != 0) {
            return; // the thread draining goes round again
        }
        int missed = 1;
        do {
            try {
                drainOnce();
            } catch (RuntimeException e) {
                // the count must come back to 0, or no thread would ever drain again
                LOG.error("connector {}: sending queued sends failed unexpectedly", settings.name(), e);
            }
            missed = drainRequests.addAndGet(-missed);
        } while (missed != 0);
    }

    private void drainOnce() {
        while (!queue.isEmpty() && !closing.get()) {
            Pending p = queue.pollFirst();
            if (p == null) {
                return;
            }
            if (p.taken.get()) {
                continue; // answered while queued
            }
            if (!tryStart(p)) {
                queue.offerFirst(p);
                return;
            }
        }
    }

    /**
     * Writes the first part of taken {@code p} on {@code tx}, whose slot it holds.
     *
     * @return false if nothing was written: the link closed meanwhile
     */
    private boolean startOn(SmppSession tx, Pending p) {
        p.session = tx;
        p.part = 0;
        p.tries = 0;
        p.ids.clear();
        SmppLink link = tx.link();
        return link != null && submitPart(link, p);
    }

    /**
     * Writes the current part of {@code p} on {@code link}; its answer continues in {@link #answered}.
     *
     * @return false if the link is closed: nothing was written
     */
    private boolean submitPart(SmppLink link, Pending p) {
        ShortMessages.Encoded e = p.encoded;
        OutboundMessage m = p.message;
        String from = settings.sourceAddress().isEmpty() ? m.from() : settings.sourceAddress();
        String source = from.startsWith("+") ? from.substring(1) : from;
        int ton = settings.sourceTon() >= 0 ? settings.sourceTon() : SmppStatus.sourceTon(from);
        int npi = settings.sourceNpi() >= 0 ? settings.sourceNpi() : SmppStatus.sourceNpi(ton);
        String destination = m.to().startsWith("+") ? m.to().substring(1) : m.to();
        OptionalParameter[] tlvs = e.payload() == null ? new OptionalParameter[0]
                : new OptionalParameter[]{new OptionalParameter.Message_payload(e.payload())};
        int seq = link.nextSequence();
        byte[] pdu;
        try {
            pdu = COMPOSER.submitSm(seq, settings.serviceType(), (byte) ton, (byte) npi, source, (byte) settings.destTon(),
                    (byte) settings.destNpi(), destination, (byte) (e.udh() ? ShortMessages.UDHI : 0), (byte) 0, (byte) 0,
                    null, null, (byte) (settings.receipts() ? 1 : 0), (byte) 0, (byte) e.dataCoding(), (byte) 0,
                    e.parts().get(p.part), tlvs);
        } catch (PDUStringException ex) {
            LOG.warn("connector {}: message to recipient {} cannot be put in a PDU: {}", settings.name(), m.recipientId(),
                    ex.getMessage());
            finish(p, p.part == 0 ? new SendResult.Failed("invalid-pdu") : partial(p.part, "invalid-pdu"));
            return true;
        }
        counters.submits.increment();
        return link.request(seq, pdu, new SmppLink.Response() {
            @Override
            public void answered(int status, byte[] answer) {
                SmppConnector.this.answered(link, p, status, answer);
            }

            @Override
            public void failed(String reason, boolean written) {
                SmppConnector.this.unanswered(p, reason, written);
            }
        });
    }

    /** The SMSC answered the current part of {@code p} (on the link's reader thread). */
    private void answered(SmppLink link, Pending p, int status, byte[] answer) {
        try {
            OutboundMessage m = p.message;
            if (status == 0) {
                String id;
                try {
                    id = DECOMPOSER.submitSmResp(answer).getMessageId();
                } catch (PDUStringException | RuntimeException ex) {
                    LOG.warn("connector {}: invalid submit_sm_resp for recipient {}: {}: unconfirmed", settings.name(),
                            m.recipientId(), ex.getMessage());
                    finish(p, new SendResult.Unconfirmed(p.part == 0 ? "invalid-response" : "partial-invalid-response"));
                    return;
                }
                if (id == null || id.isBlank()) {
                    // taken all the same: sent, but no receipt can find it
                    LOG.warn("connector {}: submit_sm_resp without a message id for recipient {} of campaign {}",
                            settings.name(), m.recipientId(), m.campaignId());
                    id = "";
                }
                p.ids.add(id);
                counters.partsAccepted.increment();
                remember(m, p.part + 1, p.encoded.parts().size(), id);
                if (p.part + 1 == p.encoded.parts().size()) {
                    finish(p, new SendResult.Accepted(p.ids.get(0), System.currentTimeMillis(), List.copyOf(p.ids)));
                    return;
                }
                p.part++;
                p.tries = 0;
                if (!submitPart(link, p)) {
                    finish(p, partial(p.part, "connection-lost"));
                }
                return;
            }
            SmppStatus.Kind kind = SmppStatus.kind(status);
            if (p.part == 0) {
                finish(p, switch (kind) {
                    case THROTTLED -> new SendResult.Throttled(-1);
                    case PERMANENT -> new SendResult.Failed(SmppStatus.reason(status));
                    case TRANSIENT -> new SendResult.TransientFailure(SmppStatus.reason(status));
                });
                return;
            }
            if (kind == SmppStatus.Kind.PERMANENT || ++p.tries > PART_RETRIES) {
                finish(p, partial(p.part, SmppStatus.reason(status)));
                return;
            }
            if (kind == SmppStatus.Kind.THROTTLED && limiter != null) {
                limiter.onThrottled(System.nanoTime(), -1);
            }
            // a later part: the earlier ones are taken, so it goes again on the same session, after a backoff
            retrying.add(p);
            try {
                housekeeping.schedule(() -> {
                    if (!retrying.remove(p)) {
                        return; // answered by close()
                    }
                    if (!link.isOpen() || !submitPart(link, p)) {
                        finish(p, partial(p.part, "connection-lost"));
                    }
                }, Math.min(2_000, 50L << p.tries), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                if (retrying.remove(p)) {
                    finish(p, partial(p.part, "connector-closed"));
                }
            }
        } catch (RuntimeException e) {
            // a bug must not leave a send unanswered (its campaign would wait for ever): it may have gone out
            LOG.error("connector {}: handling an answer failed unexpectedly; the message is unconfirmed", settings.name(), e);
            finish(p, new SendResult.Unconfirmed("internal-error"));
        }
    }

    /** No answer will come for the current part of {@code p}: it timed out, or its link closed. */
    private void unanswered(Pending p, String reason, boolean written) {
        OutboundMessage m = p.message;
        if (!written && p.part == 0) {
            // certainly not sent: it goes again, first in line, on whichever session is up
            SmppSession tx = p.session;
            p.session = null;
            p.taken.set(false);
            tx.release();
            queue.offerFirst(p);
            if (closing.get()) {
                answerQueued();
            } else {
                drain();
            }
            return;
        }
        if ("timeout".equals(reason)) {
            LOG.warn("connector {}: no submit_sm_resp within {} for recipient {} of campaign {}: unconfirmed",
                    settings.name(), settings.responseTimeout(), m.recipientId(), m.campaignId());
            finish(p, new SendResult.Unconfirmed(p.part == 0 ? "timeout" : "partial-timeout"));
            return;
        }
        LOG.warn("connector {}: session {} lost while sending to recipient {} of campaign {}: unconfirmed ({})",
                settings.name(), p.session.label(), m.recipientId(), m.campaignId(), reason);
        finish(p, new SendResult.Unconfirmed(p.part == 0 ? "connection-lost" : "partial-connection-lost"));
    }

    private void finish(Pending p, SendResult r) {
        if (!p.finished.compareAndSet(false, true)) {
            LOG.error("connector {}: recipient {} of campaign {} answered twice ({} after {}); the second is ignored",
                    settings.name(), p.message.recipientId(), p.message.campaignId(), r, p.answer.getNow(null));
            return;
        }
        SmppSession tx = p.session;
        p.session = null;
        inFlight.decrementAndGet();
        if (r instanceof SendResult.Throttled t && limiter != null) {
            limiter.onThrottled(System.nanoTime(), t.retryAfterNanos());
        }
        if (r instanceof SendResult.Unconfirmed) {
            counters.unconfirmed.increment();
        }
        if (tx != null) {
            tx.release();
            drain(); // unconditionally: a drain may hold the only queued send out of the queue just now
        }
        p.answer.complete(r);
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

    /** Times out unanswered requests, checks idle links, and answers sends that waited too long for a bind. */
    private void housekeep() {
        long now = System.nanoTime();
        for (SmppSession s : sessions) {
            try {
                s.expire(now);
            } catch (RuntimeException e) {
                LOG.error("connector {}: checking session {} failed", settings.name(), s.label(), e);
            }
        }
        expireUnbound(now);
    }

    /** Answers sends that waited too long for a bound session: not sent, so throttled (retried later). */
    private void expireUnbound(long now) {
        long limit = settings.responseTimeout().toNanos();
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
        // nothing more goes out; what is with the SMSC is answered, or unconfirmed at the response timeout
        answerQueued();
        long end = System.nanoTime() + settings.responseTimeout().toNanos() + TimeUnit.SECONDS.toNanos(1);
        while (inFlight.get() > 0 && System.nanoTime() < end) {
            answerQueued();
            if (!sleep(5)) {
                break;
            }
        }
        answerQueued();
        housekeeping.shutdownNow();
        // a later part whose retry the housekeeping will not run now: its earlier parts are taken
        for (Pending p : retrying) {
            if (retrying.remove(p)) {
                finish(p, partial(p.part, "connector-closed"));
            }
        }
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
