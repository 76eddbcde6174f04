package dev.herald.dispatcher.connector.smpp;

import dev.herald.dispatcher.connector.PeerEvents;

import org.jsmpp.bean.AlertNotification;
import org.jsmpp.bean.BindType;
import org.jsmpp.bean.DataSm;
import org.jsmpp.bean.DeliverSm;
import org.jsmpp.bean.NumberingPlanIndicator;
import org.jsmpp.bean.OptionalParameter;
import org.jsmpp.bean.TypeOfNumber;
import org.jsmpp.extra.ProcessRequestException;
import org.jsmpp.session.BindParameter;
import org.jsmpp.session.DataSmResult;
import org.jsmpp.session.MessageReceiverListener;
import org.jsmpp.session.SMPPSession;
import org.jsmpp.session.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One SMPP session of an account, kept bound: a keeper thread binds it, and binds it again after
 * it broke (the SMSC closed it, an {@code enquire_link} went unanswered, the network failed)
 * after a jittered exponential backoff: the wait doubles from
 * {@link SmppSettings#reconnectInitial()} up to {@link SmppSettings#reconnectMax()}, and each wait
 * is drawn between half and all of it, so binds broken together do not come back together.
 *
 * <p>It also takes the SMSC's {@code deliver_sm}: a receipt (esm_class message type 0x04, or a
 * {@code receipted_message_id}) goes to {@link PeerEvents#receipt}, any other message to
 * {@link PeerEvents#reply}. jSMPP answers {@code deliver_sm_resp} when this returns: OK once the
 * event was handed on (durable); a system error if storing it failed, so the SMSC sends it again.
 * A {@code deliver_sm} that cannot be read (receipt text without id or state, a coding Herald
 * cannot decode) is logged with what is wrong, counted, and acknowledged: sending it again would
 * not make it readable.
 *
 * <p>Thread-safe.
 */
final class SmppSession implements MessageReceiverListener {

    private static final Logger LOG = LoggerFactory.getLogger(SmppSession.class);
    /** esm_class bits of the message type. */
    private static final int MESSAGE_TYPE = 0x3C;
    /** esm_class message type of an SMSC delivery receipt. */
    private static final int DELIVERY_RECEIPT = 0x04;
    /** {@code command_status} ESME_RSYSERR: the SMSC keeps the PDU and sends it again. */
    private static final int SYSTEM_ERROR = 0x08;
    /** {@code command_status} ESME_RINVCMDID. */
    private static final int INVALID_COMMAND = 0x03;

    /** What the session is bound as. */
    enum Role {
        TRANSCEIVER(BindType.BIND_TRX), TRANSMITTER(BindType.BIND_TX), RECEIVER(BindType.BIND_RX);

        final BindType bindType;

        Role(BindType bindType) {
            this.bindType = bindType;
        }
    }

    private final SmppSettings settings;
    private final int bind;
    private final Role role;
    private final PeerEvents events;
    private final SmppConnector.Counters counters;
    private final Object lock = new Object();
    private final Thread keeper;
    private SMPPSession session;
    private volatile boolean closed;
    private volatile long lastAnswerNanos = System.nanoTime();
    private int failures;

    SmppSession(SmppSettings settings, int bind, Role role, PeerEvents events, SmppConnector.Counters counters) {
        this.settings = settings;
        this.bind = bind;
        this.role = role;
        this.events = events;
        this.counters = counters;
        this.keeper = new Thread(this::keep, "herald-smpp-" + settings.name() + "-" + bind + "-" + role.name().toLowerCase()
                + "-keeper");
        this.keeper.setDaemon(true);
    }

    void start() {
        keeper.start();
    }

    /** @return e.g. {@code acme#0/transceiver}, for logs */
    String label() {
        return settings.name() + "#" + bind + "/" + role.name().toLowerCase();
    }

    boolean isBound() {
        synchronized (lock) {
            return session != null && session.getSessionState().isBound();
        }
    }

    /**
     * @param timeoutMillis how long to wait
     * @return the bound session, or null if none within the time
     * @throws InterruptedException if interrupted
     */
    SMPPSession awaitBound(long timeoutMillis) throws InterruptedException {
        long end = System.currentTimeMillis() + timeoutMillis;
        synchronized (lock) {
            while (!closed && (session == null || !session.getSessionState().isBound())) {
                long left = end - System.currentTimeMillis();
                if (left <= 0) {
                    return null;
                }
                lock.wait(left);
            }
            return closed ? null : session;
        }
    }

    /** The SMSC answered a request on this session (any status): it is alive. */
    void answered() {
        lastAnswerNanos = System.nanoTime();
    }

    /**
     * A {@code submit_sm} on {@code s}, written at {@code sentAtNanos}, went unanswered. If nothing
     * was answered on the session since it was written, or for half a response timeout now, the
     * SMSC has stopped answering this session: it is closed at once (and bound again), so that no
     * more sends go into it while jSMPP's idle {@code enquire_link} would take its time to notice;
     * the requests already in it become unconfirmed as they time out. One slow answer among
     * others does not close it.
     */
    void suspect(SMPPSession s, long sentAtNanos) {
        long now = System.nanoTime();
        if (lastAnswerNanos >= sentAtNanos && now - lastAnswerNanos < settings.responseTimeout().toNanos() / 2) {
            return; // answers came meanwhile, and lately: one slow answer, not a hung session
        }
        synchronized (lock) {
            if (session != s) {
                return; // closed already
            }
        }
        LOG.warn("session {}: nothing answered for {}; closing it to bind again", label(), settings.responseTimeout());
        s.close();
    }

    /**
     * @param e an IOException from jSMPP's {@code submitShortMessage}
     * @return whether it was thrown before anything was written because the session was not bound
     *     (jSMPP's state check, whose message starts {@code Cannot})
     */
    static boolean notBound(IOException e) {
        return e.getMessage() != null && e.getMessage().startsWith("Cannot ");
    }

    private void keep() {
        while (!closed) {
            boolean bound;
            synchronized (lock) {
                bound = session != null && session.getSessionState().isBound();
                if (bound) {
                    try {
                        lock.wait(1_000);
                    } catch (InterruptedException e) {
                        return;
                    }
                    continue;
                }
            }
            if (failures > 0 || sessionWasLost()) {
                long base = Math.min(settings.reconnectMax().toMillis(),
                        settings.reconnectInitial().toMillis() << Math.min(20, Math.max(0, failures - 1)));
                long wait = base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
                try {
                    Thread.sleep(wait);
                } catch (InterruptedException e) {
                    return;
                }
            }
            if (!closed) {
                bindOnce();
            }
        }
    }

    private boolean lost;

    private boolean sessionWasLost() {
        boolean l = lost;
        lost = false;
        return l;
    }

    private void bindOnce() {
        SMPPSession s = new SMPPSession();
        s.setTransactionTimer(settings.responseTimeout().toMillis());
        s.setEnquireLinkTimer((int) Math.min(Integer.MAX_VALUE, settings.enquireLink().toMillis()));
        s.setPduProcessorDegree(4);
        s.setQueueCapacity(1_000);
        s.setMessageReceiverListener(this);
        s.addSessionStateListener((newState, oldState, source) -> {
            if (!newState.isBound()) {
                synchronized (lock) {
                    if (session == source) {
                        session = null;
                        lost = true;
                        if (!closed) {
                            LOG.warn("session {}: {} (was {}); binding again", label(), newState, oldState);
                        }
                    }
                    lock.notifyAll();
                }
            }
        });
        try {
            s.connectAndBind(settings.host(), settings.port(), new BindParameter(role.bindType, settings.systemId(),
                    settings.password(), settings.systemType(), TypeOfNumber.UNKNOWN, NumberingPlanIndicator.UNKNOWN, null),
                    settings.bindTimeout().toMillis());
            synchronized (lock) {
                if (closed) {
                    s.unbindAndClose();
                    return;
                }
                session = s;
                failures = 0;
                lastAnswerNanos = System.nanoTime();
                lock.notifyAll();
            }
            counters.binds.increment();
            LOG.info("session {}: bound to {}:{} as {}", label(), settings.host(), settings.port(), settings.systemId());
        } catch (IOException | RuntimeException e) {
            failures++;
            s.close();
            LOG.warn("session {}: bind to {}:{} failed (attempt {}): {}", label(), settings.host(), settings.port(), failures,
                    e.getMessage());
        }
    }

    /** Unbinds (waiting for {@code unbind_resp} as jSMPP does) and stops binding again. */
    void close() {
        SMPPSession s;
        synchronized (lock) {
            closed = true;
            s = session;
            session = null;
            lock.notifyAll();
        }
        keeper.interrupt();
        if (s != null) {
            try {
                s.unbindAndClose();
            } catch (RuntimeException e) {
                LOG.debug("session {}: unbind: {}", label(), e.toString());
                s.close();
            }
        }
        try {
            keeper.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void onAcceptDeliverSm(DeliverSm d) throws ProcessRequestException {
        OptionalParameter receipted = d.getOptionalParameter(OptionalParameter.Tag.RECEIPTED_MESSAGE_ID);
        boolean receipt = (d.getEsmClass() & MESSAGE_TYPE) == DELIVERY_RECEIPT || receipted != null;
        try {
            if (receipt) {
                PeerEvents.Receipt r = receipt(d, receipted);
                counters.receipts.increment();
                events.receipt(settings.name(), r);
            } else {
                byte[] body = d.getShortMessage();
                OptionalParameter payload = d.getOptionalParameter(OptionalParameter.Tag.MESSAGE_PAYLOAD);
                if ((body == null || body.length == 0) && payload instanceof OptionalParameter.OctetString o) {
                    body = o.getValue();
                }
                String text = ShortMessages.decode(body == null ? new byte[0] : body, d.getDataCoding(),
                        (d.getEsmClass() & ShortMessages.UDHI) != 0);
                counters.replies.increment();
                events.reply(settings.name(), new PeerEvents.Reply(d.getSourceAddr(), d.getDestAddress(), text));
            }
        } catch (IllegalArgumentException e) {
            counters.invalidDeliveries.increment();
            LOG.warn("session {}: a deliver_sm ({}) from {} cannot be read, acknowledged and dropped: {}", label(),
                    receipt ? "receipt" : "message", d.getSourceAddr(), e.getMessage());
        } catch (IOException e) {
            LOG.error("session {}: a deliver_sm could not be stored; refused so that the SMSC sends it again: {}", label(),
                    e.toString());
            throw new ProcessRequestException("could not store: " + e.getMessage(), SYSTEM_ERROR);
        } catch (RuntimeException e) {
            LOG.error("session {}: handling a deliver_sm failed; refused so that the SMSC sends it again", label(), e);
            throw new ProcessRequestException("failed: " + e, SYSTEM_ERROR);
        }
    }

    private PeerEvents.Receipt receipt(DeliverSm d, OptionalParameter receipted) {
        byte[] body = d.getShortMessage();
        String text = body == null ? "" : new String(body, StandardCharsets.ISO_8859_1);
        ReceiptText.Parsed parsed = null;
        IllegalArgumentException textError = null;
        try {
            parsed = ReceiptText.parse(text);
        } catch (IllegalArgumentException e) {
            textError = e;
        }
        String key;
        if (receipted instanceof OptionalParameter.OctetString o && !o.getValueAsString().isBlank()) {
            key = MessageIds.key(cString(o.getValueAsString()), settings.submitIds());
        } else if (parsed != null) {
            key = MessageIds.key(parsed.id(), settings.receiptIds());
        } else {
            throw textError;
        }
        OptionalParameter state = d.getOptionalParameter(OptionalParameter.Tag.MESSAGE_STATE);
        PeerEvents.DeliveryState s;
        if (state instanceof OptionalParameter.Byte b) {
            s = ReceiptText.state(b.getValue() & 0xFF);
        } else if (parsed != null) {
            s = parsed.state();
        } else {
            throw textError;
        }
        return new PeerEvents.Receipt(key, s, parsed == null ? "" : parsed.error(),
                text.isEmpty() ? "receipted_message_id " + key : text);
    }

    /** A C-octet string TLV as jSMPP reads it may keep its terminating NUL. */
    private static String cString(String s) {
        int nul = s.indexOf('\0');
        return nul >= 0 ? s.substring(0, nul) : s;
    }

    @Override
    public void onAcceptAlertNotification(AlertNotification alertNotification) {
        LOG.debug("session {}: alert_notification ignored", label());
    }

    @Override
    public DataSmResult onAcceptDataSm(DataSm dataSm, Session source) throws ProcessRequestException {
        LOG.warn("session {}: data_sm from the SMSC is not supported; refused", label());
        throw new ProcessRequestException("data_sm is not supported", INVALID_COMMAND);
    }
}
