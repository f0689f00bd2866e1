package dev.relay.api;

/** MIME types used on the wire. */
public final class MimeTypes {

    /** SETUP metadata MIME type: every request carries composite metadata (routing, optionally authentication). */
    public static final String COMPOSITE_METADATA = "message/x.rsocket.composite-metadata.v0";
    public static final String ROUTING = "message/x.rsocket.routing.v0";
    public static final String AUTHENTICATION = "message/x.rsocket.authentication.v0";

    /** SETUP data MIME type: control messages are JSON; file bytes travel raw in the same data field. */
    public static final String JSON = "application/json";

    private MimeTypes() {
    }
}
