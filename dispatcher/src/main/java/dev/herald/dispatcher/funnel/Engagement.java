package dev.herald.dispatcher.funnel;

import java.io.IOException;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;

/**
 * What happened after a campaign's (or a journey step's) messages, by the campaign id they carried:
 * the funnel's stores as bitmaps of recipients. A/B tests and journey branches read them.
 *
 * <pre>{@code
 * ImmutableRoaringBitmap clickers = engagement.clicked("c-42");
 * }</pre>
 *
 * <p>Implementations are thread-safe.
 */
public interface Engagement {
    /** Nobody delivered, clicked or converted: for an engine without the funnel's stores. */
    Engagement NONE = new Engagement() {
        @Override
        public ImmutableRoaringBitmap delivered(String campaignId) {
            return new org.roaringbitmap.buffer.MutableRoaringBitmap();
        }

        @Override
        public ImmutableRoaringBitmap clicked(String campaignId) {
            return new org.roaringbitmap.buffer.MutableRoaringBitmap();
        }

        @Override
        public ImmutableRoaringBitmap converted(String campaignId) {
            return new org.roaringbitmap.buffer.MutableRoaringBitmap();
        }
    };

    /** @return the recipients with a delivery receipt */
    ImmutableRoaringBitmap delivered(String campaignId) throws IOException;

    /** @return the recipients who clicked a link as a person */
    ImmutableRoaringBitmap clicked(String campaignId) throws IOException;

    /** @return the recipients with a conversion attributed to it */
    ImmutableRoaringBitmap converted(String campaignId) throws IOException;
}
