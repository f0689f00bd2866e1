import { useMemo, useState } from "react";
import { Avatar, Badge, Box, Chip, InputAdornment, List, ListItemAvatar, ListItemButton, ListItemText, TextField, Typography } from "@mui/material";
import Search from "@mui/icons-material/Search";
import type { User } from "../api/wire";
import { useApp } from "./useApp";

export function initials(user: Pick<User, "displayName" | "username">): string {
  const name = user.displayName || user.username;
  return name.split(/[\s._-]+/).filter(Boolean).slice(0, 2).map((p) => p[0]!.toUpperCase()).join("");
}

export function PresenceAvatar({ user }: { user: User }) {
  return (
    <Badge
      overlap="circular"
      anchorOrigin={{ vertical: "bottom", horizontal: "right" }}
      variant="dot"
      invisible={!user.online}
      sx={{ "& .MuiBadge-dot": { bgcolor: "#2e7d32", width: 11, height: 11, borderRadius: "50%", border: "2px solid white" } }}
    >
      <Avatar sx={{ bgcolor: "primary.light" }}>{initials(user)}</Avatar>
    </Badge>
  );
}

export function Sidebar({ fullWidth }: { fullWidth: boolean }) {
  const store = useApp();
  const [query, setQuery] = useState("");

  const rows = useMemo(() => {
    const q = query.trim().toLowerCase();
    const users = [...store.people.users.values()].filter((u) => !u.disabled && (!q || u.username.toLowerCase().includes(q) || u.displayName.toLowerCase().includes(q)));
    // Latest conversation first, then people you have not talked to, by name.
    return users.sort((a, b) => {
      const ca = store.chat.conversations.get(a.id)?.lastMessage?.id ?? -1;
      const cb = store.chat.conversations.get(b.id)?.lastMessage?.id ?? -1;
      if (ca !== cb) return cb - ca;
      return (a.displayName || a.username).localeCompare(b.displayName || b.username);
    });
  }, [store.people.users, store.chat.conversations, query, store.getVersion()]);

  return (
    <Box component="nav" aria-label="Conversations" sx={{ width: fullWidth ? "100%" : 320, borderRight: fullWidth ? 0 : 1, borderColor: "divider", bgcolor: "background.paper", display: "flex", flexDirection: "column", minHeight: 0 }}>
      <Box sx={{ p: 1.5 }}>
        <TextField
          size="small"
          fullWidth
          placeholder="Search people"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          inputProps={{ "aria-label": "Search people" }}
          InputProps={{ startAdornment: <InputAdornment position="start"><Search fontSize="small" /></InputAdornment> }}
        />
      </Box>
      <List sx={{ overflowY: "auto", flex: 1, py: 0 }} data-testid="user-list">
        {rows.length === 0 && (
          <Typography color="text.secondary" sx={{ p: 2 }}>
            {query ? "Nobody matches." : "Nobody else is here yet. Invite someone to create an account."}
          </Typography>
        )}
        {rows.map((user) => {
          const conversation = store.chat.conversations.get(user.id);
          const last = conversation?.lastMessage;
          const preview = last ? (last.deleted ? "Message deleted" : last.kind === "FILE" ? `File: ${last.file?.name ?? ""}` : last.text) : user.online ? "Online" : "Offline";
          const unread = conversation?.unread ?? 0;
          return (
            <ListItemButton
              key={user.id}
              selected={store.chat.activePeer === user.id}
              onClick={() => store.chat.openConversation(user.id)}
              data-testid="user-row"
              data-username={user.username}
              aria-label={`${user.displayName || user.username}, ${user.online ? "online" : "offline"}${unread ? `, ${unread} unread` : ""}`}
            >
              <ListItemAvatar>
                <PresenceAvatar user={user} />
              </ListItemAvatar>
              <ListItemText
                primary={user.displayName || user.username}
                secondary={preview}
                primaryTypographyProps={{ fontWeight: unread ? 700 : 500, noWrap: true }}
                secondaryTypographyProps={{ noWrap: true }}
              />
              {unread > 0 && <Chip size="small" color="primary" label={unread} sx={{ fontWeight: 700, height: 22 }} data-testid="unread" />}
            </ListItemButton>
          );
        })}
      </List>
    </Box>
  );
}
