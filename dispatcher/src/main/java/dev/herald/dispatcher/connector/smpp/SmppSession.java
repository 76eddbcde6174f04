package dev.herald.dispatcher.connector.smpp;

import dev.herald.dispatcher.connector.PeerEvents;

import org.jsmpp.bean.BindType;
import org.jsmpp.bean.DeliverSm;
import org.jsmpp.bean.OptionalParameter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One SMPP session of an account, kept bound: a keeper thread binds it, and binds it again after
 * it broke (the SMSC closed it, an {@code enquire_link} went unanswered, the network failed)
 * after a jittered exponential backoff: the wait doubles from
 * {@link SmppSettings#reconnectInitial()} up to {@link SmppSettings#reconnectMax()}, and each wait
 * is drawn between half and all of it, so binds broken together do not come back together.
 *
 * <p>Its bound connection is an {@link SmppLink}; a transmitter's window is a count of slots
 * ({@link #acquire}, {@link #release}), not threads.
 *
 * <p>It also takes the SMSC's {@code deliver_sm}: a receipt (esm_class message type 0x04, or a
 * {@code receipted_message_id}) goes to {@link PeerEvents#receipt}, any other message to
 * {@link PeerEvents#reply}. The link answers {@code deliver_sm_resp} when this returns: OK once the
 * event was handed on (durable); a system error if storing it failed, so the SMSC sends it again.
 * A {@code deliver_sm} that cannot be read (receipt text without id or state, a coding Herald
 * cannot decode) is logged with what is wrong, counted, and acknowledged: sending it again would
 * not make it readable.
 *
 * <p>Thread-safe.
 */
final class SmppSession implements SmppLink.Listener {

    private static final Logger LOG = LoggerFactory.getLogger(SmppSession.class);
    /** esm_class bits of the message type. */
    private static final int MESSAGE_TYPE = 0x3C;
    /** esm_class message type of an SMSC delivery receipt. */
    private static final int DELIVERY_RECEIPT = 0x04;
    /** {@code command_status} ESME_RSYSERR: the SMSC keeps the PDU and sends it again. */
    private static final int SYSTEM_ERROR = 0x08;

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
    private final Runnable onBound;
    private final Object lock = new Object();
    private final Thread keeper;
    private final AtomicInteger slots = new AtomicInteger();
    private volatile SmppLink link;
    private volatile boolean closed;
    private int failures;

    /**
     * @param onBound run (on the keeper thread) each time the session is bound, so that queued sends go out
     */
    SmppSession(SmppSettings settings, int bind, Role role, PeerEvents events, SmppConnector.Counters counters,
                Runnable onBound) {
        this.settings = settings;
        this.bind = bind;
        this.role = role;
        this.events = events;
        this.counters = counters;
        this.onBound = onBound;
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
        SmppLink l = link;
        return l != null && l.isOpen();
    }

    /** @return the bound link, or null */
    SmppLink link() {
        SmppLink l = link;
        return l != null && l.isOpen() ? l : null;
    }

    /** @return whether a window slot was taken (fewer than {@link SmppSettings#window()} in use) */
    boolean acquire() {
        while (true) {
            int n = slots.get();
            if (n >= settings.window()) {
                return false;
            }
            if (slots.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Gives a window slot back. */
    void release() {
        slots.decrementAndGet();
    }

    /** @return window slots in use */
    int slotsInUse() {
        return slots.get();
    }

    /** Checks the link's unanswered requests and idleness (see {@link SmppLink#expire}). */
    void expire(long now) {
        SmppLink l = link;
        if (l != null) {
            l.expire(now, settings.enquireLink().toNanos());
        }
    }

    private void keep() {
        while (!closed) {
            boolean bound;
            synchronized (lock) {
                bound = link != null && link.isOpen();
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
        try {
            SmppLink l = SmppLink.bind(settings, role.bindType, label(), this);
            synchronized (lock) {
                if (closed) {
                    l.close("closing");
                    return;
                }
                link = l;
                failures = 0;
                lock.notifyAll();
            }
            counters.binds.increment();
            LOG.info("session {}: bound to {}:{} as {}", label(), settings.host(), settings.port(), settings.systemId());
            onBound.run();
        } catch (IOException | RuntimeException e) {
            failures++;
            LOG.warn("session {}: bind to {}:{} failed (attempt {}): {}", label(), settings.host(), settings.port(), failures,
                    e.getMessage());
        }
    }

    @Override
    public void closed(SmppLink l, String why) {
        synchronized (lock) {
            if (link == l) {
                link = null;
                lost = true;
                if (!closed) {
                    LOG.warn("session {}: {}; binding again", label(), why);
                }
            }
            lock.notifyAll();
        }
    }

    /** Unbinds (waiting up to a second for {@code unbind_resp}) and stops binding again. */
    void close() {
        SmppLink l;
        synchronized (lock) {
            closed = true;
            l = link;
            lock.notifyAll();
        }
        keeper.interrupt();
        if (l != null) {
            l.unbind(1_000);
        }
        try {
            keeper.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void unreadable(String why) {
        counters.invalidDeliveries.increment();
        LOG.warn("session {}: a deliver_sm cannot be read: {}; answered with an error", label(), why);
    }

    /** @return whether {@code d} is a delivery receipt: esm_class message type 0x04, or a {@code receipted_message_id} */
    static boolean isReceipt(DeliverSm d) {
        return (d.getEsmClass() & MESSAGE_TYPE) == DELIVERY_RECEIPT
                || d.getOptionalParameter(OptionalParameter.Tag.RECEIPTED_MESSAGE_ID) != null;
    }

    @Override
    public int deliver(DeliverSm d) {
        OptionalParameter receipted = d.getOptionalParameter(OptionalParameter.Tag.RECEIPTED_MESSAGE_ID);
        boolean receipt = isReceipt(d);
        try {
            if (receipt) {
                PeerEvents.Receipt r = receipt(d, receipted);
                counters.receipts.increment();
                events.receipt(settings.name(), r);
                return 0;
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
                return 0;
            }
        } catch (IllegalArgumentException e) {
            counters.invalidDeliveries.increment();
            LOG.warn("session {}: a deliver_sm ({}) from {} cannot be read, acknowledged and dropped: {}", label(),
                    receipt ? "receipt" : "message", d.getSourceAddr(), e.getMessage());
            return 0;
        } catch (IOException e) {
            LOG.error("session {}: a deliver_sm could not be stored; refused so that the SMSC sends it again: {}", label(),
                    e.toString());
            return SYSTEM_ERROR;
        } catch (RuntimeException e) {
            LOG.error("session {}: handling a deliver_sm failed; refused so that the SMSC sends it again", label(), e);
            return SYSTEM_ERROR;
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
}
