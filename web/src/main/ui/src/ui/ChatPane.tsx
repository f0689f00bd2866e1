import { useEffect, useLayoutEffect, useRef, useState, type DragEvent, type KeyboardEvent } from "react";
import { Box, CircularProgress, IconButton, Paper, TextField, Toolbar, Tooltip, Typography } from "@mui/material";
import ArrowBack from "@mui/icons-material/ArrowBack";
import AttachFile from "@mui/icons-material/AttachFile";
import Send from "@mui/icons-material/Send";
import CloudUpload from "@mui/icons-material/CloudUpload";
import type { Message } from "../api/wire";
import { useApp } from "./useApp";
import { PresenceAvatar } from "./Sidebar";
import { FileMessage, PendingUploadCard } from "./FileMessage";

function time(iso: string): string {
  const d = new Date(iso);
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : d.toLocaleString([], { dateStyle: "short", timeStyle: "short" });
}

function Bubble({ message, mine, seen }: { message: Message; mine: boolean; seen: boolean }) {
  return (
    <Box sx={{ display: "flex", justifyContent: mine ? "flex-end" : "flex-start", px: 1 }} data-testid="message" data-message-id={message.id} data-kind={message.kind}>
      <Paper
        elevation={0}
        sx={{
          maxWidth: { xs: "92%", sm: "75%" },
          px: 1.5,
          py: 1,
          bgcolor: mine ? "primary.main" : "background.paper",
          color: mine ? "primary.contrastText" : "text.primary",
          border: mine ? 0 : 1,
          borderColor: "divider",
          borderRadius: 3,
          borderBottomRightRadius: mine ? 4 : undefined,
          borderBottomLeftRadius: mine ? undefined : 4,
          minWidth: message.kind === "FILE" ? { xs: "85%", sm: 380 } : undefined,
        }}
      >
        {message.deleted ? (
          <Typography fontStyle="italic" sx={{ opacity: 0.8 }}>Message deleted</Typography>
        ) : message.kind === "FILE" && message.file ? (
          <FileMessage message={message} mine={mine} />
        ) : (
          <Typography sx={{ whiteSpace: "pre-wrap", overflowWrap: "anywhere" }} data-testid="message-text">{message.text}</Typography>
        )}
        <Typography variant="caption" sx={{ display: "block", textAlign: "right", opacity: 0.75, mt: 0.25 }}>
          {time(message.sentAt)}
          {mine && seen ? " · Seen" : ""}
        </Typography>
      </Paper>
    </Box>
  );
}

export function ChatPane({ narrow }: { narrow: boolean }) {
  const store = useApp();
  const peerId = store.chat.activePeer;
  const peer = peerId ? store.people.users.get(peerId) ?? store.chat.conversations.get(peerId)?.peer : undefined;
  const history = peerId ? store.chat.histories.get(peerId) : undefined;
  const messages = history?.messages ?? [];
  const scroller = useRef<HTMLDivElement>(null);
  const topSentinel = useRef<HTMLDivElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const [text, setText] = useState("");
  const [dragging, setDragging] = useState(false);
  const stickToBottom = useRef(true);
  const prevHeight = useRef(0);
  const prevFirst = useRef<number | undefined>(undefined);

  // Older pages load when the top of the list scrolls into view.
  useEffect(() => {
    const el = topSentinel.current;
    if (!el || !peerId) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && history?.loaded && history.hasMore && !history.loading) void store.chat.loadOlder(peerId);
    }, { root: scroller.current });
    observer.observe(el);
    return () => observer.disconnect();
  }, [peerId, history?.loaded, history?.hasMore, history?.loading, store]);

  // Keep the view anchored: at the bottom for new messages, in place when older ones are prepended.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const first = messages[0]?.id;
    if (prevFirst.current !== undefined && first !== undefined && first < prevFirst.current && !stickToBottom.current) {
      el.scrollTop += el.scrollHeight - prevHeight.current;
    } else if (stickToBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
    prevFirst.current = first;
    prevHeight.current = el.scrollHeight;
  });

  useEffect(() => {
    stickToBottom.current = true;
    prevFirst.current = undefined;
  }, [peerId]);

  if (!peerId || !peer) {
    return (
      <Box sx={{ flex: 1, display: "grid", placeItems: "center", p: 3 }}>
        <Typography color="text.secondary">Choose someone on the left to start chatting.</Typography>
      </Box>
    );
  }

  const send = async () => {
    const value = text.trim();
    if (!value) return;
    setText("");
    if (!(await store.chat.sendText(peerId, value))) setText(value);
  };

  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      void send();
    }
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const files = [...e.dataTransfer.files];
    if (files.length) store.uploads.send(peerId, files);
  };

  const seenUpTo = store.chat.peerRead.get(peerId) ?? 0;
  const creating = store.uploads.creatingFor(peerId);

  return (
    <Box
      component="section"
      aria-label={`Conversation with ${peer.displayName || peer.username}`}
      sx={{ flex: 1, display: "flex", flexDirection: "column", minWidth: 0, position: "relative" }}
      onDragEnter={(e) => { if (e.dataTransfer.types.includes("Files")) { e.preventDefault(); setDragging(true); } }}
      onDragOver={(e) => { if (e.dataTransfer.types.includes("Files")) e.preventDefault(); }}
      onDragLeave={(e) => { if (e.currentTarget === e.target) setDragging(false); }}
      onDrop={onDrop}
    >
      <Toolbar variant="dense" sx={{ gap: 1.5, bgcolor: "background.paper", borderBottom: 1, borderColor: "divider" }}>
        {narrow && (
          <IconButton edge="start" onClick={() => store.chat.openConversation(null)} aria-label="Back to conversations">
            <ArrowBack />
          </IconButton>
        )}
        <PresenceAvatar user={peer} />
        <Box sx={{ minWidth: 0 }}>
          <Typography fontWeight={600} noWrap data-testid="chat-peer">{peer.displayName || peer.username}</Typography>
          <Typography variant="caption" color="text.secondary">{peer.online ? "Online" : "Offline"} · @{peer.username}</Typography>
        </Box>
      </Toolbar>
      <Box
        ref={scroller}
        onScroll={(e) => {
          const el = e.currentTarget;
          stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
          prevHeight.current = el.scrollHeight;
        }}
        sx={{ flex: 1, overflowY: "auto", py: 1.5, display: "flex", flexDirection: "column", gap: 1 }}
        role="log"
        aria-live="polite"
        aria-label="Messages"
        data-testid="messages"
      >
        <div ref={topSentinel} style={{ minHeight: 1 }} />
        {history?.loading && <Box sx={{ textAlign: "center" }}><CircularProgress size={22} aria-label="Loading older messages" /></Box>}
        {history?.loaded && !history.hasMore && messages.length > 0 && (
          <Typography variant="caption" color="text.secondary" textAlign="center">Beginning of the conversation</Typography>
        )}
        {history?.loaded && messages.length === 0 && (
          <Typography color="text.secondary" textAlign="center" sx={{ mt: 4 }}>No messages yet. Say hello, or drop files here.</Typography>
        )}
        {messages.map((m) => (
          <Bubble key={m.id} message={m} mine={m.from === store.session.me?.id} seen={m.from === store.session.me?.id && m.id <= seenUpTo} />
        ))}
        {creating.map((u) => <PendingUploadCard key={u.key} upload={u} />)}
      </Box>
      <Box sx={{ display: "flex", alignItems: "flex-end", gap: 1, p: 1, bgcolor: "background.paper", borderTop: 1, borderColor: "divider" }}>
        <input
          ref={fileInput}
          type="file"
          multiple
          hidden
          data-testid="file-input"
          onChange={(e) => {
            const files = [...(e.target.files ?? [])];
            if (files.length) store.uploads.send(peerId, files);
            e.target.value = "";
          }}
        />
        <Tooltip title="Send files">
          <IconButton onClick={() => fileInput.current?.click()} aria-label="Send files">
            <AttachFile />
          </IconButton>
        </Tooltip>
        <TextField
          fullWidth
          multiline
          maxRows={5}
          size="small"
          placeholder="Write a message"
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKey}
          inputProps={{ "aria-label": "Message", maxLength: 4000 }}
        />
        <IconButton color="primary" onClick={() => void send()} disabled={!text.trim()} aria-label="Send message">
          <Send />
        </IconButton>
      </Box>
      {dragging && (
        <Box sx={{ position: "absolute", inset: 8, border: "3px dashed", borderColor: "primary.main", borderRadius: 3, bgcolor: "rgba(31,95,191,.08)", display: "grid", placeItems: "center", pointerEvents: "none" }}>
          <Box sx={{ textAlign: "center", color: "primary.main" }}>
            <CloudUpload sx={{ fontSize: 56 }} />
            <Typography variant="h6">Drop files to send them to {peer.displayName || peer.username}</Typography>
          </Box>
        </Box>
      )}
    </Box>
  );
}
