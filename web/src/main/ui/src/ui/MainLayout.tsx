import { useEffect, useState } from "react";
import { Alert, AppBar, Badge, Box, Button, Chip, IconButton, Menu, MenuItem, Snackbar, Toolbar, Tooltip, Typography, useMediaQuery, useTheme } from "@mui/material";
import AccountCircle from "@mui/icons-material/AccountCircle";
import AdminPanelSettings from "@mui/icons-material/AdminPanelSettings";
import { useApp } from "./useApp";
import { Sidebar } from "./Sidebar";
import { ChatPane } from "./ChatPane";
import { OffersBanner } from "./OffersBanner";
import { AdminView } from "./AdminView";

function ConnectionChip() {
  const store = useApp();
  const status = store.session.connectionStatus;
  const [, tick] = useState(0);
  useEffect(() => {
    if (status !== "reconnecting") return;
    const timer = setInterval(() => tick((n) => n + 1), 500);
    return () => clearInterval(timer);
  }, [status]);
  if (status === "online") return <Chip size="small" label="Online" color="success" variant="outlined" sx={{ color: "white", borderColor: "rgba(255,255,255,.6)" }} data-testid="connection-status" data-status="online" />;
  const wait = store.session.manager?.nextAttemptAt ? Math.max(0, Math.ceil((store.session.manager.nextAttemptAt - Date.now()) / 1000)) : 0;
  const label = status === "connecting" ? "Connecting…" : wait > 0 ? `Reconnecting in ${wait} s…` : "Reconnecting…";
  return (
    <Chip
      size="small"
      color="warning"
      label={label}
      onClick={() => store.session.manager?.retryNow()}
      aria-label={`${label} Retry now`}
      data-testid="connection-status"
      data-status={status}
    />
  );
}

export function MainLayout() {
  const store = useApp();
  const theme = useTheme();
  const narrow = useMediaQuery(theme.breakpoints.down("md"));
  const [menu, setMenu] = useState<HTMLElement | null>(null);
  const [admin, setAdmin] = useState(false);
  const isAdmin = store.session.me?.role === "ADMIN";
  const unreadTotal = [...store.chat.conversations.values()].reduce((n, c) => n + c.unread, 0);

  useEffect(() => {
    document.title = unreadTotal > 0 ? `(${unreadTotal}) Relay` : "Relay";
  }, [unreadTotal]);
  useEffect(() => {
    // Messages that arrived while the tab was hidden count as unread until it is shown again.
    const visible = () => {
      if (document.visibilityState === "visible" && store.chat.activePeer) store.chat.openConversation(store.chat.activePeer);
    };
    document.addEventListener("visibilitychange", visible);
    return () => document.removeEventListener("visibilitychange", visible);
  }, [store]);
  useEffect(() => {
    const online = () => store.session.manager?.retryNow();
    window.addEventListener("online", online);
    return () => window.removeEventListener("online", online);
  }, [store]);

  const showList = !narrow || !store.chat.activePeer;
  const showChat = !narrow || !!store.chat.activePeer;
  const notice = store.notices.list[0];

  return (
    <Box sx={{ height: "100dvh", display: "flex", flexDirection: "column" }}>
      <AppBar position="static" elevation={1}>
        <Toolbar variant="dense" sx={{ gap: 1 }}>
          <Typography variant="h6" component="div" fontWeight={700} sx={{ flexGrow: 1 }}>
            <Badge color="error" badgeContent={unreadTotal} aria-label={`${unreadTotal} unread`}>Relay</Badge>
          </Typography>
          <ConnectionChip />
          {isAdmin && (
            <Tooltip title="Administration">
              <IconButton color="inherit" onClick={() => setAdmin(true)} aria-label="Administration">
                <AdminPanelSettings />
              </IconButton>
            </Tooltip>
          )}
          <Button color="inherit" startIcon={<AccountCircle />} onClick={(e) => setMenu(e.currentTarget)} aria-haspopup="menu" aria-label="Account menu" sx={{ textTransform: "none" }}>
            {!narrow && (store.session.me?.displayName || store.session.auth?.username)}
          </Button>
          <Menu anchorEl={menu} open={!!menu} onClose={() => setMenu(null)}>
            <MenuItem disabled>Signed in as {store.session.auth?.username}{isAdmin ? " (admin)" : ""}</MenuItem>
            <MenuItem onClick={() => { setMenu(null); store.logout(); }}>Log out</MenuItem>
          </Menu>
        </Toolbar>
      </AppBar>
      <OffersBanner />
      <Box sx={{ flex: 1, display: "flex", minHeight: 0 }}>
        {showList && <Sidebar fullWidth={narrow} />}
        {showChat && <ChatPane narrow={narrow} />}
      </Box>
      <Snackbar open={!!notice} autoHideDuration={8000} onClose={(_, reason) => reason !== "clickaway" && notice && store.notices.dismiss(notice.id)} anchorOrigin={{ vertical: "bottom", horizontal: "center" }}>
        {notice ? (
          <Alert severity={notice.severity} onClose={() => store.notices.dismiss(notice.id)} variant="filled" role="alert" data-testid="notice">
            {notice.text}
          </Alert>
        ) : undefined}
      </Snackbar>
      {admin && <AdminView onClose={() => setAdmin(false)} />}
    </Box>
  );
}
