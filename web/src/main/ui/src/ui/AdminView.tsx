import { useEffect, useState } from "react";
import { Alert, Button, Chip, Dialog, DialogActions, DialogContent, DialogTitle, Stack, Table, TableBody, TableCell, TableHead, TableRow, TextField, Typography, useMediaQuery, useTheme } from "@mui/material";
import { humanMessage } from "../api/errors";
import type { User } from "../api/wire";
import { useApp } from "./useApp";

/** For administrators: every user (disabled ones too), disable/enable, and deleting a file by id. */
export function AdminView({ onClose }: { onClose: () => void }) {
  const store = useApp();
  const theme = useTheme();
  const fullScreen = useMediaQuery(theme.breakpoints.down("sm"));
  const [users, setUsers] = useState<User[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fileId, setFileId] = useState("");
  const [info, setInfo] = useState<string | null>(null);

  const load = async () => {
    try {
      setUsers(await store.admin.users());
    } catch (e) {
      setError(humanMessage(e));
    }
  };
  useEffect(() => void load(), []);

  const toggle = async (user: User) => {
    setError(null);
    try {
      const updated = await store.admin.setDisabled(user.id, !user.disabled);
      setUsers((list) => list?.map((u) => (u.id === updated.id ? updated : u)) ?? null);
    } catch (e) {
      setError(humanMessage(e));
    }
  };

  const deleteFile = async () => {
    setError(null);
    setInfo(null);
    try {
      await store.admin.deleteFile(fileId.trim());
      setInfo("The file was deleted.");
      setFileId("");
    } catch (e) {
      setError(humanMessage(e));
    }
  };

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="md" fullScreen={fullScreen} aria-labelledby="admin-title">
      <DialogTitle id="admin-title">Administration</DialogTitle>
      <DialogContent dividers>
        {error && <Alert severity="error" sx={{ mb: 2 }}>{error}</Alert>}
        {info && <Alert severity="success" sx={{ mb: 2 }}>{info}</Alert>}
        <Typography variant="subtitle1" fontWeight={600}>Users</Typography>
        {!users ? (
          <Typography color="text.secondary">Loading…</Typography>
        ) : (
          <Table size="small" data-testid="admin-users">
            <TableHead>
              <TableRow>
                <TableCell>User</TableCell>
                <TableCell>Role</TableCell>
                <TableCell>Status</TableCell>
                <TableCell align="right">Action</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {users.map((u) => (
                <TableRow key={u.id} data-username={u.username}>
                  <TableCell>{u.displayName || u.username} <Typography component="span" variant="caption" color="text.secondary">@{u.username}</Typography></TableCell>
                  <TableCell>{u.role}</TableCell>
                  <TableCell>{u.disabled ? <Chip size="small" color="error" label="Disabled" /> : u.online ? <Chip size="small" color="success" label="Online" /> : <Chip size="small" label="Offline" />}</TableCell>
                  <TableCell align="right">
                    {u.id !== store.session.me?.id && (
                      <Button size="small" color={u.disabled ? "primary" : "error"} onClick={() => void toggle(u)}>{u.disabled ? "Enable" : "Disable"}</Button>
                    )}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
        <Typography variant="subtitle1" fontWeight={600} sx={{ mt: 3 }}>Delete a file</Typography>
        <Typography variant="body2" color="text.secondary">Removes the stored file; its message stays and shows it deleted. File messages also have a delete button for administrators.</Typography>
        <Stack direction="row" spacing={1} sx={{ mt: 1 }}>
          <TextField size="small" fullWidth label="File id" value={fileId} onChange={(e) => setFileId(e.target.value)} />
          <Button variant="outlined" color="error" disabled={!fileId.trim()} onClick={() => void deleteFile()}>Delete</Button>
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Close</Button>
      </DialogActions>
    </Dialog>
  );
}
