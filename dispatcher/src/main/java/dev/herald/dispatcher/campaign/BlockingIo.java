package dev.herald.dispatcher.campaign;

import java.util.concurrent.Executor;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.dispatch.MessageDispatcher;

/**
 * The dispatcher the campaign actors do their file work on: {@value #DISPATCHER}, a thread pool
 * configured in HOCON ({@code herald-campaigns.conf}). The {@link CampaignManager} and every
 * {@link Campaign} actor run on it, because nearly every message they handle opens, writes or
 * fsyncs a file (a status change is stored before it is answered); what they start without
 * waiting (closing a ledger once its run has drained) is handed to {@link #executor}. Pekko's
 * default dispatcher, which runs the campaign streams and the HTTP API, never waits on their disk.
 *
 * <pre>{@code
 * ActorRef<Campaign.Command> c = context.spawn(Campaign.create(id, settings), "campaign-" + id, BlockingIo.props());
 * }</pre>
 *
 * <p>Stateless; any thread.
 */
public final class BlockingIo {

    /** The configuration path of the dispatcher. */
    public static final String DISPATCHER = "herald.blocking-io-dispatcher";

    private BlockingIo() {
    }

    /** @return props that put an actor on the dispatcher */
    public static Props props() {
        return DispatcherSelector.fromConfig(DISPATCHER);
    }

    /**
     * @param system the actor system whose configuration declares the dispatcher
     * @return the dispatcher as an executor, for file work started outside an actor's message handling
     * @throws org.apache.pekko.ConfigurationException if the configuration lacks {@value #DISPATCHER}
     *     (it is in Herald's {@code reference.conf}, which Pekko always loads)
     */
    public static Executor executor(ActorSystem<?> system) {
        return system.dispatchers().lookup(DispatcherSelector.fromConfig(DISPATCHER));
    }

    /** @return whether the actor of {@code context} runs on the dispatcher */
    static boolean runsOn(ActorContext<?> context) {
        return context.getExecutionContext() instanceof MessageDispatcher d && DISPATCHER.equals(d.id());
    }
}
