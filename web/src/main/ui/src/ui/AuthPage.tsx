import { useState, type FormEvent } from "react";
import { Alert, Box, Button, CircularProgress, Paper, Stack, Tab, Tabs, TextField, Typography } from "@mui/material";
import { humanMessage } from "../api/errors";
import { useApp } from "./useApp";

export function AuthPage() {
  const store = useApp();
  const [mode, setMode] = useState<"login" | "register">("login");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [invite, setInvite] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (mode === "register" && !/^[A-Za-z0-9._-]{3,32}$/.test(username)) {
      setError("Usernames have 3 to 32 letters, digits, dots, dashes or underscores.");
      return;
    }
    if (mode === "register" && password.length < 8) {
      setError("Passwords have at least 8 characters.");
      return;
    }
    setBusy(true);
    try {
      await store.session.login(username, password, mode === "register", invite.trim() || undefined);
    } catch (err) {
      setError(humanMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Box sx={{ minHeight: "100vh", display: "grid", placeItems: "center", p: 2, background: "linear-gradient(135deg,#1f5fbf 0%,#00897b 100%)" }}>
      <Paper component="main" elevation={8} sx={{ width: "100%", maxWidth: 400, p: { xs: 3, sm: 4 } }}>
        <Typography variant="h4" component="h1" fontWeight={700} gutterBottom>
          Relay
        </Typography>
        <Typography color="text.secondary" mb={2}>
          Chat and send files of any size. Pause, resume, and pick up where you left off.
        </Typography>
        <Tabs value={mode} onChange={(_, v) => { setMode(v); setError(null); }} variant="fullWidth" sx={{ mb: 2 }}>
          <Tab label="Log in" value="login" />
          <Tab label="Create account" value="register" />
        </Tabs>
        <form onSubmit={submit} noValidate>
          <Stack spacing={2}>
            {store.session.logoutReason && !error && <Alert severity="info">{store.session.logoutReason}</Alert>}
            {error && <Alert severity="error" role="alert">{error}</Alert>}
            <TextField label="Username" name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required autoFocus />
            <TextField label="Password" name="password" type="password" autoComplete={mode === "login" ? "current-password" : "new-password"} value={password} onChange={(e) => setPassword(e.target.value)} required helperText={mode === "register" ? "At least 8 characters" : undefined} />
            {mode === "register" && (
              <TextField label="Invite code" name="invite" autoComplete="off" value={invite} onChange={(e) => setInvite(e.target.value)} helperText="If this service needs one (or the setup token, for its first administrator)" />
            )}
            <Button type="submit" variant="contained" size="large" disabled={busy || !username || !password}>
              {busy ? <CircularProgress size={24} /> : mode === "login" ? "Log in" : "Create account"}
            </Button>
          </Stack>
        </form>
      </Paper>
    </Box>
  );
}
