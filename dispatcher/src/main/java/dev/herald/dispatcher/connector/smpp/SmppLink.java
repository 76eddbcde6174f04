package dev.herald.dispatcher.connector.smpp;

import org.jsmpp.PDUStringException;
import org.jsmpp.SMPPConstant;
import org.jsmpp.bean.BindType;
import org.jsmpp.bean.DeliverSm;
import org.jsmpp.util.DefaultComposer;
import org.jsmpp.util.DefaultDecomposer;
import org.jsmpp.util.PDUComposer;
import org.jsmpp.util.PDUDecomposer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One bound SMPP 3.4 connection, asynchronous: a request is written and its answer matched by
 * sequence number when it is read, so a {@code submit_sm} costs no thread of its own while it
 * waits. jSMPP composes and reads the PDUs ({@link DefaultComposer}, {@link DefaultDecomposer});
 * this class owns the socket, the sequence numbers and the table of unanswered requests.
 *
 * <pre>{@code
 * SmppLink link = SmppLink.bind(settings, BindType.BIND_TRX, "acme#0", listener);   // connects, binds, starts its threads
 * int seq = link.nextSequence();
 * link.request(seq, composer.submitSm(seq, ...), response);   // response.answered(...) on the reader thread
 * link.expire(System.nanoTime());                             // periodically: unanswered requests time out
 * link.unbind(Duration.ofSeconds(1));                         // or link.close("why")
 * }</pre>
 *
 * <p>Threads: a <b>reader</b> reads every PDU and completes the answered requests (their
 * {@link Response} runs on it: keep it short), and hands delivery receipts to the listener (a
 * receipt is matched in memory and appended to a log, without waiting for the disk); a
 * <b>delivery</b> thread hands each other {@code deliver_sm} (a recipient's message, made durable
 * before it is answered) to the listener in the order it came, so the reader never waits for a
 * disk write. <b>Writes</b> are combined: whoever queues a PDU writes everything queued and
 * flushes once, unless another thread is writing already, which then writes it too; a burst is
 * one system call and no thread is woken to write. Since the window bounds what is unanswered,
 * a write does not block unless the SMSC stops reading altogether; then its requests time out
 * and the housekeeping closes the link, which ends the write. The link answers the SMSC's
 * {@code enquire_link} and {@code unbind} itself, a command it does not support with
 * {@code generic_nack} ({@code ESME_RINVCMDID}).
 *
 * <p><b>When it closes</b> (the SMSC closed it, unbound, sent a PDU whose length breaks the
 * framing, the socket failed, {@link #close} or {@link #unbind}): every unanswered request fails
 * with the reason, and {@link Response#failed} says whether it was written, so a caller can send
 * again what certainly did not go out and must not send again what may have. The listener hears
 * {@link Listener#closed} once.
 *
 * <p>Thread-safe.
 */
final class SmppLink {

    private static final Logger LOG = LoggerFactory.getLogger(SmppLink.class);
    /** SMPP 3.4. */
    private static final byte INTERFACE_VERSION = 0x34;
    private static final int HEADER = 16;
    /** The largest PDU read: a {@code message_payload} of 64 KiB and the rest; a longer length is framing lost. */
    static final int MAX_PDU = 70_000;
    /** {@code deliver_sm} waiting to be handled; beyond it the SMSC is answered {@code ESME_RMSGQFUL}. */
    private static final int DELIVERY_QUEUE = 10_000;

    private static final PDUComposer COMPOSER = new DefaultComposer();
    private static final PDUDecomposer DECOMPOSER = new DefaultDecomposer();

    /** What a link tells its owner. */
    interface Listener {
        /**
         * A {@code deliver_sm} (on the link's delivery thread).
         *
         * @return the {@code command_status} of its {@code deliver_sm_resp}
         */
        int deliver(DeliverSm d);

        /** A {@code deliver_sm} that jSMPP could not read; it is answered with the given status. */
        void unreadable(String why);

        /** The link closed; called once, from the thread that closed it. */
        void closed(SmppLink link, String why);
    }

    /** The answer to one request. */
    interface Response {
        /**
         * The SMSC answered (on the reader thread).
         *
         * @param status {@code command_status} (0: ESME_ROK; a {@code generic_nack} for it gives its status)
         * @param pdu    the whole answer PDU
         */
        void answered(int status, byte[] pdu);

        /**
         * No answer will come.
         *
         * @param reason  {@code timeout} or why the link closed
         * @param written whether the request may have reached the SMSC (false: certainly not)
         */
        void failed(String reason, boolean written);
    }

    /** An unanswered request. */
    private static final class Request {
        final int sequence;
        final Response response;
        final long sentAtNanos = System.nanoTime();
        final AtomicBoolean done = new AtomicBoolean();
        volatile boolean written;

        Request(int sequence, Response response) {
            this.sequence = sequence;
            this.response = response;
        }
    }

    /** One PDU to write; {@code closeAfter}: close the link, for this reason, once it is written. */
    private record Out(byte[] pdu, Request request, String closeAfter) {
    }

    private final String label;
    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final Listener listener;
    private final long responseTimeoutNanos;
    private final Map<Integer, Request> pending = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Out> writes = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean writing = new AtomicBoolean();
    private final BlockingQueue<Delivery> deliveries = new ArrayBlockingQueue<>(DELIVERY_QUEUE);
    private final AtomicInteger sequence = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread reader;
    private final Thread delivery;
    private volatile String closeReason;
    private volatile long lastReadNanos = System.nanoTime();
    private volatile long lastAnswerNanos = System.nanoTime();
    private final AtomicBoolean enquiring = new AtomicBoolean();

    private SmppLink(String label, Socket socket, Listener listener, long responseTimeoutNanos) throws IOException {
        this.label = label;
        this.socket = socket;
        this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 65_536));
        this.out = new BufferedOutputStream(socket.getOutputStream(), 65_536);
        this.listener = listener;
        this.responseTimeoutNanos = responseTimeoutNanos;
        this.reader = daemon(this::readLoop, "herald-smpp-" + label + "-reader");
        this.delivery = daemon(this::deliveryLoop, "herald-smpp-" + label + "-deliveries");
    }

    /**
     * Connects and binds, within {@link SmppSettings#bindTimeout()}.
     *
     * @param settings the account
     * @param type     transceiver, transmitter or receiver
     * @param label    names the link's threads and log lines
     * @param listener told of deliveries and of the close
     * @return the bound link, its threads running
     * @throws IOException if it could not connect, or the SMSC refused the bind (the message says with what status)
     */
    static SmppLink bind(SmppSettings settings, BindType type, String label, Listener listener) throws IOException {
        Socket socket = new Socket();
        try {
            int timeout = (int) Math.min(Integer.MAX_VALUE, settings.bindTimeout().toMillis());
            socket.setTcpNoDelay(true);
            socket.setKeepAlive(true);
            socket.connect(new InetSocketAddress(settings.host(), settings.port()), timeout);
            socket.setSoTimeout(timeout);
            SmppLink link = new SmppLink(label, socket, listener, settings.responseTimeout().toNanos());
            int seq = link.nextSequence();
            byte[] bind;
            try {
                bind = COMPOSER.bind(type.commandId(), seq, settings.systemId(), settings.password(), settings.systemType(),
                        INTERFACE_VERSION, (byte) 0, (byte) 0, null);
            } catch (PDUStringException e) {
                throw new IOException("bind: " + e.getMessage(), e);
            }
            link.out.write(bind);
            link.out.flush();
            while (true) {
                byte[] pdu = link.readPdu();
                int id = commandId(pdu);
                if (id == SMPPConstant.CID_ENQUIRE_LINK) {
                    link.out.write(COMPOSER.enquireLinkResp(sequence(pdu)));
                    link.out.flush();
                    continue;
                }
                if ((id == type.responseCommandId() || id == SMPPConstant.CID_GENERIC_NACK) && sequence(pdu) == seq) {
                    int status = status(pdu);
                    if (status != SMPPConstant.STAT_ESME_ROK) {
                        throw new IOException("bind refused: " + SmppStatus.reason(status) + " (0x"
                                + Integer.toHexString(status) + ")");
                    }
                    break;
                }
                throw new IOException("unexpected PDU 0x" + Integer.toHexString(id) + " while binding");
            }
            socket.setSoTimeout(0);
            link.reader.start();
            link.delivery.start();
            return link;
        } catch (IOException | RuntimeException e) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing after a failed bind
            }
            throw e;
        }
    }

    /** @return the next sequence number (1..0x7FFFFFFF, wrapping) */
    int nextSequence() {
        return sequence.updateAndGet(v -> v >= 0x7FFFFFFF ? 1 : v + 1);
    }

    /** @return whether it is open (bound, not closed) */
    boolean isOpen() {
        return !closed.get();
    }

    /** @return requests written or queued and not answered */
    int unanswered() {
        return pending.size();
    }

    /**
     * Sends a request; its answer goes to {@code response}.
     *
     * @param seq      its sequence number, from {@link #nextSequence()}, as written in {@code pdu}
     * @param pdu      the request
     * @param response told of the answer, or of the failure
     * @return false if the link is closed: nothing was sent, and {@code response} is not called
     */
    boolean request(int seq, byte[] pdu, Response response) {
        Request r = new Request(seq, response);
        if (closed.get()) {
            return false;
        }
        pending.put(seq, r);
        if (closed.get() && pending.remove(seq, r)) {
            return false; // closed meanwhile, before failing what was pending: this one is not sent
        }
        enqueue(new Out(pdu, r, null));
        return true;
    }

    /**
     * Fails the requests unanswered for longer than the response timeout ({@code timeout}), and
     * sends an {@code enquire_link} when nothing was read for {@code idleNanos}. If such a request
     * was written after the last answer, or nothing was answered for half the timeout, the SMSC
     * has stopped answering this link: it is closed (so that nothing more goes into it).
     *
     * @param now       {@link System#nanoTime()}
     * @param idleNanos the {@code enquire_link} interval
     * @return how many requests timed out
     */
    int expire(long now, long idleNanos) {
        if (closed.get()) {
            return 0;
        }
        List<Request> expired = new ArrayList<>();
        long newest = Long.MIN_VALUE;
        for (Request r : pending.values()) {
            if (now - r.sentAtNanos > responseTimeoutNanos && pending.remove(r.sequence, r) && r.done.compareAndSet(false, true)) {
                expired.add(r);
                newest = Math.max(newest, r.sentAtNanos);
            }
        }
        if (!expired.isEmpty()) {
            long answer = lastAnswerNanos;
            if (answer < newest || now - answer >= responseTimeoutNanos / 2) {
                // closed before the timed-out requests are failed, so that their slots do not take new sends into it
                close("nothing answered for " + TimeUnit.NANOSECONDS.toMillis(responseTimeoutNanos) + " ms");
            }
            for (Request r : expired) {
                r.response.failed("timeout", true);
            }
            if (closed.get()) {
                return expired.size();
            }
        }
        if (now - lastReadNanos > idleNanos && enquiring.compareAndSet(false, true)) {
            int seq = nextSequence();
            boolean sent = request(seq, COMPOSER.enquireLink(seq), new Response() {
                @Override
                public void answered(int status, byte[] pdu) {
                    enquiring.set(false);
                }

                @Override
                public void failed(String reason, boolean written) {
                    enquiring.set(false);
                    close("enquire_link unanswered (" + reason + ")");
                }
            });
            if (!sent) {
                enquiring.set(false);
            }
        }
        return expired.size();
    }

    /**
     * Sends {@code unbind}, waits up to {@code waitMillis} for its answer, and closes.
     *
     * @param waitMillis how long to wait for {@code unbind_resp}
     */
    void unbind(long waitMillis) {
        CountDownLatch answered = new CountDownLatch(1);
        int seq = nextSequence();
        boolean sent = request(seq, COMPOSER.unbind(seq), new Response() {
            @Override
            public void answered(int status, byte[] pdu) {
                answered.countDown();
            }

            @Override
            public void failed(String reason, boolean written) {
                answered.countDown();
            }
        });
        if (sent) {
            try {
                answered.await(waitMillis, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        close("unbound");
    }

    /**
     * Closes the socket and fails every unanswered request with {@code why}; idempotent.
     *
     * @param why why it closes, for the log and the requests
     */
    void close(String why) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closeReason = why;
        try {
            socket.close();
        } catch (IOException e) {
            LOG.debug("link {}: close: {}", label, e.toString());
        }
        delivery.interrupt();
        List<Request> left = new ArrayList<>(pending.values());
        left.sort((a, b) -> Long.compare(a.sentAtNanos, b.sentAtNanos));
        for (Request r : left) {
            if (pending.remove(r.sequence, r) && r.done.compareAndSet(false, true)) {
                r.response.failed(why, r.written);
            }
        }
        writes.clear();
        listener.closed(this, why);
    }

    /** @return why it closed, or null while open */
    String closeReason() {
        return closeReason;
    }

    /** Queues {@code o} and writes what is queued, unless another thread is writing (which then writes it). */
    private void enqueue(Out o) {
        writes.add(o);
        while (!writes.isEmpty() && !closed.get() && writing.compareAndSet(false, true)) {
            String closeAfter = null;
            try {
                Out next;
                while ((next = writes.poll()) != null) {
                    if (next.request != null) {
                        if (next.request.done.get()) {
                            continue; // failed already (closing): not written
                        }
                        next.request.written = true;
                    }
                    out.write(next.pdu);
                    if (next.closeAfter != null) {
                        closeAfter = next.closeAfter;
                        break;
                    }
                }
                out.flush();
            } catch (IOException e) {
                closeAfter = "write failed: " + e.getMessage();
            } finally {
                try {
                    if (closeAfter != null) {
                        // closed while this thread still writes: no other thread writes after the last PDU
                        close(closeAfter);
                    }
                } finally {
                    writing.set(false);
                }
            }
            if (closeAfter != null) {
                return;
            }
            // loop: something queued after the last poll, while this thread still held the writing flag
        }
    }

    private void readLoop() {
        try {
            while (!closed.get()) {
                byte[] pdu = readPdu();
                lastReadNanos = System.nanoTime();
                dispatch(pdu);
            }
        } catch (FramingException e) {
            LOG.warn("link {}: {}; closing it (what follows cannot be read)", label, e.getMessage());
            // a generic_nack, as SMPP asks; the link closes once it is written
            writeThenClose(COMPOSER.genericNack(SMPPConstant.STAT_ESME_RINVCMDLEN, 0), e.getMessage());
        } catch (EOFException e) {
            close("the SMSC closed the connection");
        } catch (IOException e) {
            close(closed.get() ? closeReason : "read failed: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("link {}: reading failed unexpectedly", label, e);
            close("internal error: " + e);
        }
    }

    private static final class FramingException extends IOException {
        FramingException(String message) {
            super(message);
        }
    }

    private byte[] readPdu() throws IOException {
        int length = in.readInt();
        if (length < HEADER || length > MAX_PDU) {
            throw new FramingException("a PDU with command_length " + length + " (must be " + HEADER + "-" + MAX_PDU + ")");
        }
        byte[] pdu = new byte[length];
        pdu[0] = (byte) (length >>> 24);
        pdu[1] = (byte) (length >>> 16);
        pdu[2] = (byte) (length >>> 8);
        pdu[3] = (byte) length;
        in.readFully(pdu, 4, length - 4);
        return pdu;
    }

    private void dispatch(byte[] pdu) {
        int id = commandId(pdu);
        int seq = sequence(pdu);
        if ((id & SMPPConstant.MASK_CID_RESP) != 0) {
            Request r = pending.remove(seq);
            if (r == null) {
                LOG.debug("link {}: answer 0x{} to sequence {} that nothing waits for (late, after its timeout)", label,
                        Integer.toHexString(id), seq);
                return;
            }
            lastAnswerNanos = System.nanoTime();
            if (r.done.compareAndSet(false, true)) {
                r.response.answered(status(pdu), pdu);
            }
            return;
        }
        switch (id) {
            case SMPPConstant.CID_DELIVER_SM -> {
                DeliverSm d;
                try {
                    d = DECOMPOSER.deliverSm(pdu);
                } catch (PDUStringException e) {
                    listener.unreadable(e.getMessage());
                    write(COMPOSER.deliverSmResp(e.getErrorCode(), seq, ""));
                    return;
                } catch (RuntimeException e) {
                    // jSMPP's reading of a malformed body (a length beyond the PDU, a bad TLV)
                    listener.unreadable(e.toString());
                    write(COMPOSER.deliverSmResp(SMPPConstant.STAT_ESME_RSYSERR, seq, ""));
                    return;
                }
                if (SmppSession.isReceipt(d)) {
                    write(COMPOSER.deliverSmResp(listener.deliver(d), seq, ""));
                } else if (!deliveries.offer(new Delivery(seq, d))) {
                    LOG.warn("link {}: {} deliver_sm waiting already; answered ESME_RMSGQFUL", label, DELIVERY_QUEUE);
                    write(COMPOSER.deliverSmResp(SMPPConstant.STAT_ESME_RMSGQFUL, seq, ""));
                }
            }
            case SMPPConstant.CID_ENQUIRE_LINK -> write(COMPOSER.enquireLinkResp(seq));
            case SMPPConstant.CID_UNBIND -> {
                writeThenClose(COMPOSER.unbindResp(SMPPConstant.STAT_ESME_ROK, seq), "the SMSC unbound");
            }
            case SMPPConstant.CID_ALERT_NOTIFICATION -> LOG.debug("link {}: alert_notification ignored", label);
            default -> {
                LOG.warn("link {}: command 0x{} is not supported; answered generic_nack ESME_RINVCMDID", label,
                        Integer.toHexString(id));
                write(COMPOSER.genericNack(SMPPConstant.STAT_ESME_RINVCMDID, seq));
            }
        }
    }

    /** A decoded {@code deliver_sm} waiting for the delivery thread. */
    private record Delivery(int sequence, DeliverSm pdu) {
    }

    private void deliveryLoop() {
        try {
            while (!closed.get()) {
                Delivery d = deliveries.take();
                write(COMPOSER.deliverSmResp(listener.deliver(d.pdu), d.sequence, ""));
            }
        } catch (InterruptedException e) {
            // closing
        }
    }

    private void write(byte[] pdu) {
        if (!closed.get()) {
            enqueue(new Out(pdu, null, null));
        }
    }

    /** Queues a last PDU; the link closes once it is written (and {@code why} is the reason). */
    private void writeThenClose(byte[] pdu, String why) {
        if (!closed.get()) {
            enqueue(new Out(pdu, null, why));
        }
    }

    static int commandId(byte[] pdu) {
        return intAt(pdu, 4);
    }

    static int status(byte[] pdu) {
        return intAt(pdu, 8);
    }

    static int sequence(byte[] pdu) {
        return intAt(pdu, 12);
    }

    private static int intAt(byte[] b, int at) {
        return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | b[at + 3] & 0xFF;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    @Override
    public String toString() {
        return "link " + label;
    }
}
