package dev.herald.dispatcher.connector.smpp;

import dev.herald.dispatcher.connector.SendResult;
import org.jsmpp.SMPPConstant;
import org.jsmpp.util.DefaultComposer;
import org.jsmpp.util.PDUComposer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SmppConnector} against a peer written here: a first part accepted, every later part
 * throttled, so a later part waits in the housekeeping for its retry.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SmppConnectorRawPeerTest {

    private static final PDUComposer PDU = new DefaultComposer();

    private ServerSocket server;
    private Thread acceptor;
    private final AtomicInteger submits = new AtomicInteger();

    @BeforeEach
    void listen() throws IOException {
        server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::acceptLoop, "raw-smsc");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
    }

    private void acceptLoop() {
        try {
            while (true) {
                Socket s = server.accept();
                Thread t = new Thread(() -> serve(s), "raw-smsc-conn");
                t.setDaemon(true);
                t.start();
            }
        } catch (IOException e) {
            // closed
        }
    }

    /** Accepts the bind; the first submit_sm OK, every later one ESME_RTHROTTLED; answers unbind and enquire_link. */
    private void serve(Socket s) {
        try (s) {
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
            OutputStream out = s.getOutputStream();
            while (true) {
                int length = in.readInt();
                byte[] pdu = new byte[length];
                in.readFully(pdu, 4, length - 4);
                int id = SmppLink.commandId(pdu);
                int seq = SmppLink.sequence(pdu);
                byte[] answer;
                if (id == SMPPConstant.CID_BIND_TRANSCEIVER) {
                    answer = PDU.bindResp(SMPPConstant.CID_BIND_TRANSCEIVER_RESP, seq, "RAW");
                } else if (id == SMPPConstant.CID_SUBMIT_SM) {
                    answer = submits.incrementAndGet() == 1 ? PDU.submitSmResp(seq, "id1")
                            : PDU.composeHeader(SMPPConstant.CID_SUBMIT_SM_RESP, SMPPConstant.STAT_ESME_RTHROTTLED, seq);
                } else if (id == SMPPConstant.CID_ENQUIRE_LINK) {
                    answer = PDU.enquireLinkResp(seq);
                } else if (id == SMPPConstant.CID_UNBIND) {
                    out.write(PDU.unbindResp(0, seq));
                    out.flush();
                    return;
                } else {
                    continue;
                }
                out.write(answer);
                out.flush();
            }
        } catch (Exception e) {
            // the connection ended
        }
    }

    @Test
    void closeAnswersALaterPartThatWaitsForItsRetry() throws Exception {
        SmppConnector c = SmppConnector.start(SmppConnectorPeerTest.settings(server.getLocalPort(),
                "binds = 1, response-timeout = 300ms, receipts = false"), null, null);
        CompletableFuture<SendResult> f;
        try {
            assertTrue(c.awaitBound(10_000), "bound");
            f = c.send(SmppConnectorPeerTest.message(1, SmppConnectorPeerTest.number(1), "x".repeat(200)))
                    .toCompletableFuture();
            while (submits.get() < 2) {
                Thread.sleep(5); // the second part was throttled once: its retry is scheduled
            }
        } finally {
            c.close();
        }
        // close() answers everything in flight: the earlier part is taken, so the message is unconfirmed
        assertTrue(f.isDone(), "close() returned with the send unanswered (" + c.inFlight() + " in flight)");
        SendResult.Unconfirmed u = assertInstanceOf(SendResult.Unconfirmed.class, f.get());
        assertTrue(u.reason().startsWith("partial-"), u.reason());
        assertEquals(0, c.inFlight());
    }
}
