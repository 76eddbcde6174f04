package dev.herald.dispatcher.connector.smpp;

import org.jsmpp.SMPPConstant;
import org.jsmpp.bean.BindType;
import org.jsmpp.bean.DeliverSm;
import org.jsmpp.util.DefaultComposer;
import org.jsmpp.util.PDUComposer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SmppLink} against a peer written here byte by byte, for what an SMSC rarely does on
 * purpose: refusing a bind, commands Herald does not support, unreadable {@code deliver_sm},
 * broken framing, unbinding, going silent. The ordinary traffic is tested against node-smpp
 * ({@code SmppConnectorPeerTest}).
 */
class SmppLinkTest {

    private static final PDUComposer PDU = new DefaultComposer();

    private ServerSocket server;
    private Socket peer;
    private DataInputStream fromLink;
    private OutputStream toLink;
    private final Recorder listener = new Recorder();

    static final class Recorder implements SmppLink.Listener {
        final List<DeliverSm> delivered = new CopyOnWriteArrayList<>();
        final List<String> unreadable = new CopyOnWriteArrayList<>();
        final CompletableFuture<String> closed = new CompletableFuture<>();

        @Override
        public int deliver(DeliverSm d) {
            delivered.add(d);
            return 0;
        }

        @Override
        public void unreadable(String why) {
            unreadable.add(why);
        }

        @Override
        public void closed(SmppLink link, String why) {
            closed.complete(why);
        }
    }

    /** What a request's response heard. */
    static final class Answers implements SmppLink.Response {
        final BlockingQueue<String> events = new LinkedBlockingQueue<>();

        @Override
        public void answered(int status, byte[] pdu) {
            events.add("answered " + status);
        }

        @Override
        public void failed(String reason, boolean written) {
            events.add("failed " + reason + " written=" + written);
        }

        String next() throws InterruptedException {
            String e = events.poll(5, TimeUnit.SECONDS);
            assertNotNull(e, "no answer nor failure within 5 s");
            return e;
        }
    }

    @BeforeEach
    void listen() throws IOException {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        server.setSoTimeout(10_000);
    }

    @AfterEach
    void stop() throws IOException {
        if (peer != null) {
            peer.close();
        }
        server.close();
    }

    private SmppSettings settings(String extra) {
        return SmppConnectorPeerTest.settings(server.getLocalPort(), "bind-timeout = 3s, response-timeout = 400ms\n" + extra);
    }

    /** Binds a transceiver link, the peer accepting it. */
    private SmppLink bind() throws Exception {
        CompletableFuture<SmppLink> link = CompletableFuture.supplyAsync(() -> {
            try {
                return SmppLink.bind(settings(""), BindType.BIND_TRX, "test#0", listener);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        peer = server.accept();
        peer.setSoTimeout(5_000);
        fromLink = new DataInputStream(new BufferedInputStream(peer.getInputStream()));
        toLink = peer.getOutputStream();
        byte[] bind = read();
        assertEquals(SMPPConstant.CID_BIND_TRANSCEIVER, SmppLink.commandId(bind));
        String body = new String(bind, 16, bind.length - 16, StandardCharsets.ISO_8859_1);
        assertTrue(body.startsWith("herald\0secret\0"), "system_id and password, C strings: " + body);
        write(PDU.bindResp(SMPPConstant.CID_BIND_TRANSCEIVER_RESP, SmppLink.sequence(bind), "SMSC"));
        return link.get(5, TimeUnit.SECONDS);
    }

    private byte[] read() throws IOException {
        int length = fromLink.readInt();
        byte[] pdu = new byte[length];
        pdu[0] = (byte) (length >>> 24);
        pdu[1] = (byte) (length >>> 16);
        pdu[2] = (byte) (length >>> 8);
        pdu[3] = (byte) length;
        fromLink.readFully(pdu, 4, length - 4);
        return pdu;
    }

    private void write(byte[] pdu) throws IOException {
        toLink.write(pdu);
        toLink.flush();
    }

    @Test
    void aRefusedBindSaysWithWhatStatus() throws Exception {
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                SmppLink.bind(settings(""), BindType.BIND_TX, "test#0", listener);
                failure.complete(null);
            } catch (Throwable e) {
                failure.complete(e);
            }
        });
        t.start();
        peer = server.accept();
        fromLink = new DataInputStream(peer.getInputStream());
        toLink = peer.getOutputStream();
        byte[] bind = read();
        assertEquals(SMPPConstant.CID_BIND_TRANSMITTER, SmppLink.commandId(bind));
        write(PDU.composeHeader(SMPPConstant.CID_BIND_TRANSMITTER_RESP, 0x0E, SmppLink.sequence(bind)));
        Throwable e = failure.get(5, TimeUnit.SECONDS);
        assertNotNull(e, "a refused bind must fail");
        assertTrue(e.getMessage().contains("bind refused") && e.getMessage().contains("0xe"), e.getMessage());
    }

    @Test
    void aBindNeverAnsweredFailsWithinTheBindTimeout() throws Exception {
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        new Thread(() -> {
            try {
                SmppLink.bind(SmppConnectorPeerTest.settings(server.getLocalPort(), "bind-timeout = 300ms"),
                        BindType.BIND_TRX, "test#0", listener);
                failure.complete(null);
            } catch (Throwable e) {
                failure.complete(e);
            }
        }).start();
        peer = server.accept();
        assertTrue(failure.get(5, TimeUnit.SECONDS) instanceof IOException);
    }

    @Test
    void answersTheSmscsEnquireLinkAndRefusesWhatItDoesNotSupportStayingOpen() throws Exception {
        SmppLink link = bind();
        write(PDU.enquireLink(77));
        byte[] resp = read();
        assertEquals(SMPPConstant.CID_ENQUIRE_LINK_RESP, SmppLink.commandId(resp));
        assertEquals(77, SmppLink.sequence(resp));

        write(PDU.querySm(78, "123", (byte) 1, (byte) 1, "4474"));
        byte[] nack = read();
        assertEquals(SMPPConstant.CID_GENERIC_NACK, SmppLink.commandId(nack));
        assertEquals(SMPPConstant.STAT_ESME_RINVCMDID, SmppLink.status(nack));
        assertEquals(78, SmppLink.sequence(nack));
        assertTrue(link.isOpen());

        // a response to nothing (late, after its timeout) is ignored
        write(PDU.composeHeader(SMPPConstant.CID_SUBMIT_SM_RESP, 0, 999));
        write(PDU.enquireLink(79));
        assertEquals(79, SmppLink.sequence(read()));
        assertTrue(link.isOpen());
        link.close("test");
    }

    @Test
    void aDeliverSmIsHandedOnAndAnAnswerableButUnreadableOneIsRefusedWithoutClosing() throws Exception {
        SmppLink link = bind();
        write(PDU.deliverSm(5, "", (byte) 1, (byte) 1, "447400000001", (byte) 0, (byte) 0, "ACME", (byte) 0, (byte) 0,
                (byte) 0, (byte) 0, (byte) 0, "STOP".getBytes(StandardCharsets.ISO_8859_1)));
        byte[] resp = read();
        assertEquals(SMPPConstant.CID_DELIVER_SM_RESP, SmppLink.commandId(resp));
        assertEquals(0, SmppLink.status(resp));
        assertEquals(5, SmppLink.sequence(resp));
        assertEquals(1, listener.delivered.size());
        assertEquals("STOP", new String(listener.delivered.get(0).getShortMessage(), StandardCharsets.ISO_8859_1));

        // a deliver_sm whose body ends inside its first C string: jSMPP cannot read it
        byte[] broken = PDU.composeHeader(SMPPConstant.CID_DELIVER_SM, 0, 6);
        byte[] body = "CMT".getBytes(StandardCharsets.ISO_8859_1); // service_type without its NUL, then nothing
        byte[] pdu = new byte[broken.length + body.length];
        System.arraycopy(broken, 0, pdu, 0, broken.length);
        System.arraycopy(body, 0, pdu, broken.length, body.length);
        pdu[3] = (byte) pdu.length;
        write(pdu);
        resp = read();
        assertEquals(SMPPConstant.CID_DELIVER_SM_RESP, SmppLink.commandId(resp));
        assertEquals(6, SmppLink.sequence(resp));
        assertTrue(SmppLink.status(resp) != 0, "refused with an error status");
        assertEquals(1, listener.unreadable.size(), "counted and logged");
        assertEquals(1, listener.delivered.size());

        write(PDU.enquireLink(7));
        assertEquals(7, SmppLink.sequence(read()));
        assertTrue(link.isOpen(), "the session survives");
        link.close("test");
    }

    @Test
    void requestsAreAnsweredBySequenceNumberInWhateverOrderTheAnswersCome() throws Exception {
        SmppLink link = bind();
        Answers a = new Answers();
        Answers b = new Answers();
        int sa = link.nextSequence();
        int sb = link.nextSequence();
        assertTrue(link.request(sa, PDU.enquireLink(sa), a));
        assertTrue(link.request(sb, PDU.enquireLink(sb), b));
        assertEquals(sa, SmppLink.sequence(read()));
        assertEquals(sb, SmppLink.sequence(read()));
        assertEquals(2, link.unanswered());
        write(PDU.composeHeader(SMPPConstant.CID_ENQUIRE_LINK_RESP, 0, sb));
        assertEquals("answered 0", b.next());
        write(PDU.composeHeader(SMPPConstant.CID_GENERIC_NACK, SMPPConstant.STAT_ESME_RSYSERR, sa));
        assertEquals("answered 8", a.next(), "a generic_nack answers the request with its status");
        assertEquals(0, link.unanswered());
        link.close("test");
    }

    @Test
    void whenTheSmscClosesTheWrittenRequestsFailAsWrittenAndTheLinkSaysWhy() throws Exception {
        SmppLink link = bind();
        Answers a = new Answers();
        int seq = link.nextSequence();
        assertTrue(link.request(seq, PDU.enquireLink(seq), a));
        read(); // it reached the peer
        peer.close();
        assertEquals("failed the SMSC closed the connection written=true", a.next());
        assertEquals("the SMSC closed the connection", listener.closed.get(5, TimeUnit.SECONDS));
        assertFalse(link.isOpen());
        int after = link.nextSequence();
        assertFalse(link.request(after, PDU.enquireLink(after), new Answers()), "a closed link takes nothing");
    }

    @Test
    void anUnansweredRequestTimesOutAndASilentSmscIsClosed() throws Exception {
        SmppLink link = bind();
        Answers a = new Answers();
        int seq = link.nextSequence();
        assertTrue(link.request(seq, PDU.enquireLink(seq), a));
        read();
        assertEquals(0, link.expire(System.nanoTime(), Long.MAX_VALUE), "not yet");
        assertEquals(1, link.expire(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500), Long.MAX_VALUE));
        assertEquals("failed timeout written=true", a.next());
        assertTrue(listener.closed.get(5, TimeUnit.SECONDS).startsWith("nothing answered"));
        assertFalse(link.isOpen());
    }

    @Test
    void anIdleLinkSendsEnquireLinkAndClosesWhenItIsNotAnswered() throws Exception {
        SmppLink link = bind();
        link.expire(System.nanoTime(), 0);
        byte[] enquiry = read();
        assertEquals(SMPPConstant.CID_ENQUIRE_LINK, SmppLink.commandId(enquiry));
        write(PDU.enquireLinkResp(SmppLink.sequence(enquiry)));
        Thread.sleep(50); // lets the reader take the answer
        link.expire(System.nanoTime(), 0);
        byte[] second = read();
        assertEquals(SMPPConstant.CID_ENQUIRE_LINK, SmppLink.commandId(second), "answered: it checks again when idle");
        link.expire(System.nanoTime() + TimeUnit.SECONDS.toNanos(1), Long.MAX_VALUE);
        assertTrue(listener.closed.get(5, TimeUnit.SECONDS).contains("enquire_link unanswered")
                || listener.closed.get().startsWith("nothing answered"), listener.closed.get());
    }

    @Test
    void theSmscsUnbindIsAnsweredAndTheLinkCloses() throws Exception {
        SmppLink link = bind();
        write(PDU.unbind(41));
        byte[] resp = read();
        assertEquals(SMPPConstant.CID_UNBIND_RESP, SmppLink.commandId(resp));
        assertEquals(41, SmppLink.sequence(resp));
        assertEquals("the SMSC unbound", listener.closed.get(5, TimeUnit.SECONDS));
        assertFalse(link.isOpen());
    }

    @Test
    void aLengthThatBreaksTheFramingIsNackedAndClosesTheLink() throws Exception {
        SmppLink link = bind();
        write(new byte[]{0, 0, 0, 9, (byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef, 0x42});
        byte[] nack = read();
        assertEquals(SMPPConstant.CID_GENERIC_NACK, SmppLink.commandId(nack));
        assertEquals(SMPPConstant.STAT_ESME_RINVCMDLEN, SmppLink.status(nack));
        assertTrue(listener.closed.get(5, TimeUnit.SECONDS).contains("command_length 9"));
        assertFalse(link.isOpen());
    }

    @Test
    void ourUnbindWaitsForItsAnswer() throws Exception {
        SmppLink link = bind();
        CompletableFuture<Void> unbound = CompletableFuture.runAsync(() -> link.unbind(5_000));
        byte[] unbind = read();
        assertEquals(SMPPConstant.CID_UNBIND, SmppLink.commandId(unbind));
        assertFalse(unbound.isDone());
        write(PDU.unbindResp(0, SmppLink.sequence(unbind)));
        unbound.get(5, TimeUnit.SECONDS);
        assertEquals("unbound", listener.closed.get(5, TimeUnit.SECONDS));
    }

    @Test
    void aPduLongerThanSmppAllowsIsFramingLost() throws Exception {
        SmppLink link = bind();
        write(new byte[]{0, 1, (byte) 0x86, (byte) 0xA0, 0, 0, 0, 5}); // command_length 100,000
        byte[] nack = read();
        assertEquals(SMPPConstant.CID_GENERIC_NACK, SmppLink.commandId(nack));
        assertTrue(listener.closed.get(5, TimeUnit.SECONDS).contains("command_length 100000"), listener.closed.get());
        assertFalse(link.isOpen());
    }
}
