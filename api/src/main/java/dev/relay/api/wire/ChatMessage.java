package dev.relay.api.wire;

import java.time.Instant;

/**
 * One message of a conversation.
 *
 * @param id      grows with every message of the service: history cursors and read markers use it
 * @param from    the sender's user id
 * @param to      the recipient's user id
 * @param text    the text of a TEXT message
 * @param file    the file of a FILE message
 * @param deleted true once deleted: text and file are then gone
 */
public record ChatMessage(long id, String from, String to, Kind kind, String text, FileAttachment file,
                          boolean deleted, Instant sentAt) {

    public enum Kind { TEXT, FILE }
}
