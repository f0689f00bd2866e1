import { useState } from "react";
import { Box, Button, Chip, IconButton, LinearProgress, Stack, Tooltip, Typography } from "@mui/material";
import InsertDriveFile from "@mui/icons-material/InsertDriveFile";
import Pause from "@mui/icons-material/Pause";
import PlayArrow from "@mui/icons-material/PlayArrow";
import Close from "@mui/icons-material/Close";
import Download from "@mui/icons-material/Download";
import ShowChart from "@mui/icons-material/ShowChart";
import DeleteForever from "@mui/icons-material/DeleteForever";
import OpenInNew from "@mui/icons-material/OpenInNew";
import Replay from "@mui/icons-material/Replay";
import { humanMessage } from "../api/errors";
import type { Message, UploadState } from "../api/wire";
import type { DownloadController } from "../transfer/download";
import { formatBytes, formatDuration } from "../transfer/rate";
import type { UploadController } from "../transfer/upload";
import type { LocalUpload } from "../state/uploads";
import { useApp, useSnapshot } from "./useApp";
import { FlowPanel } from "./FlowPanel";

const STATE_LABEL: Record<string, string> = {
  idle: "Waiting",
  uploading: "Uploading",
  downloading: "Downloading",
  paused: "Paused",
  reconnecting: "Reconnecting…",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
  ACTIVE: "Sending",
  PAUSED: "Paused by sender",
  COMPLETED: "Ready",
  CANCELLED: "Cancelled",
  EXPIRED: "Expired",
  FAILED: "Failed",
  DELETED: "Deleted",
};

const COLOR: Record<string, "default" | "primary" | "success" | "warning" | "error"> = {
  uploading: "primary",
  downloading: "primary",
  ACTIVE: "primary",
  paused: "warning",
  PAUSED: "warning",
  reconnecting: "warning",
  completed: "success",
  COMPLETED: "success",
  failed: "error",
  FAILED: "error",
  EXPIRED: "error",
};

function StatusChip({ status, onDark }: { status: string; onDark?: boolean }) {
  // On the sender's blue bubble a primary chip would vanish: it gets a translucent white one instead.
  const color = COLOR[status] ?? "default";
  const plain = color === "default" || (onDark && color === "primary");
  return (
    <Chip
      size="small"
      label={STATE_LABEL[status] ?? status}
      color={plain ? "default" : color}
      data-testid="transfer-status"
      data-status={status}
      sx={{ height: 22, fontWeight: 600, ...(plain ? { bgcolor: onDark ? "rgba(255,255,255,.22)" : "rgba(0,0,0,.08)", color: "inherit" } : {}) }}
    />
  );
}

function Progress({ value, total, paused, onDark }: { value: number; total: number; paused?: boolean; onDark?: boolean }) {
  const percent = total > 0 ? (value / total) * 100 : 100;
  return (
    <LinearProgress
      variant="determinate"
      value={percent}
      color={paused ? "warning" : "primary"}
      sx={{
        height: 8,
        borderRadius: 4,
        my: 0.75,
        bgcolor: onDark ? "rgba(255,255,255,.25)" : "rgba(0,0,0,.12)",
        ...(onDark && !paused ? { "& .MuiLinearProgress-bar": { bgcolor: "#b9f6ca" } } : {}),
      }}
      aria-label={`${Math.floor(percent)} percent`}
    />
  );
}

function Header({ name, size }: { name: string; size: number }) {
  return (
    <Stack direction="row" spacing={1} alignItems="center" sx={{ minWidth: 0 }}>
      <InsertDriveFile fontSize="small" />
      <Typography fontWeight={600} noWrap sx={{ flex: 1, minWidth: 0 }} title={name} data-testid="file-name">{name}</Typography>
      <Typography variant="body2" sx={{ opacity: 0.85, whiteSpace: "nowrap" }}>{formatBytes(size)}</Typography>
    </Stack>
  );
}

/** The sender's card for an upload running in this tab: progress, speed, ETA and the controls. */
export function UploadCard({ controller }: { controller: UploadController }) {
  const s = useSnapshot(controller)!;
  const [busy, setBusy] = useState(false);
  const [flow, setFlow] = useState(false);
  const store = useApp();
  const act = (f: () => Promise<void>) => async () => {
    setBusy(true);
    try {
      await f();
    } catch (e) {
      store.notices.notify("error", humanMessage(e));
    } finally {
      setBusy(false);
    }
  };
  const active = s.status === "uploading" || s.status === "paused" || s.status === "reconnecting" || s.status === "idle";
  const shown = s.status === "completed" ? s.size : s.sent;
  return (
    <Box data-testid="upload-card" data-upload-id={s.uploadId ?? ""} data-status={s.status} data-sent={s.sent} data-offset={s.offset} data-received={s.received}>
      <Header name={s.name} size={s.size} />
      <Progress value={shown} total={s.size} paused={s.status === "paused"} onDark />
      <Stack direction="row" alignItems="center" spacing={1} flexWrap="wrap" useFlexGap>
        <StatusChip status={s.status} onDark />
        <Typography variant="body2" data-testid="transfer-bytes" sx={{ fontVariantNumeric: "tabular-nums" }}>
          {formatBytes(shown)} of {formatBytes(s.size)}
        </Typography>
        {s.status === "uploading" && (
          <Typography variant="body2" sx={{ opacity: 0.85, fontVariantNumeric: "tabular-nums" }}>
            {formatBytes(s.bytesPerSecond)}/s · {formatDuration(s.etaSeconds)} left
          </Typography>
        )}
        <Box sx={{ flex: 1 }} />
        {active && s.uploadId && (
          <>
            {s.status === "paused" ? (
              <Tooltip title="Resume">
                <span><IconButton size="small" color="inherit" onClick={act(() => controller.resume())} disabled={busy} aria-label="Resume"><PlayArrow /></IconButton></span>
              </Tooltip>
            ) : (
              <Tooltip title="Pause">
                <span><IconButton size="small" color="inherit" onClick={act(() => controller.pause())} disabled={busy || s.status === "reconnecting"} aria-label="Pause"><Pause /></IconButton></span>
              </Tooltip>
            )}
            <Tooltip title="Cancel">
              <span><IconButton size="small" color="inherit" onClick={act(() => controller.cancel())} disabled={busy} aria-label="Cancel"><Close /></IconButton></span>
            </Tooltip>
            <Tooltip title="Flow panel: credits, bytes in flight, server buffer, throughput">
              <IconButton size="small" color="inherit" onClick={() => setFlow((f) => !f)} aria-label="Show flow panel" aria-pressed={flow}><ShowChart /></IconButton>
            </Tooltip>
          </>
        )}
        {s.status === "failed" && s.uploadId && s.error?.code !== "EXPIRED" && (
          <Button size="small" color="inherit" startIcon={<Replay />} onClick={() => void controller.retry()}>Retry</Button>
        )}
      </Stack>
      {s.status === "reconnecting" && <Typography variant="caption" sx={{ display: "block", opacity: 0.85 }}>Connection lost; continuing from the last saved byte ({formatBytes(s.offset)}) when it is back.</Typography>}
      {s.error && s.status === "failed" && <Typography variant="caption" sx={{ display: "block" }} role="alert">{humanMessage(s.error)}</Typography>}
      {flow && active && s.uploadId && <FlowPanel controller={controller} />}
    </Box>
  );
}

function DownloadProgress({ controller }: { controller: DownloadController }) {
  const s = useSnapshot(controller)!;
  return (
    <Box data-testid="download-card" data-status={s.status} data-received={s.received}>
      <Progress value={s.received} total={s.size} paused={s.status === "paused"} />
      <Stack direction="row" alignItems="center" spacing={1} flexWrap="wrap" useFlexGap>
        <StatusChip status={s.status} />
        <Typography variant="body2" sx={{ fontVariantNumeric: "tabular-nums" }}>{formatBytes(s.received)} of {formatBytes(s.size)}</Typography>
        {s.status === "downloading" && <Typography variant="body2" sx={{ opacity: 0.85 }}>{formatBytes(s.bytesPerSecond)}/s · {formatDuration(s.etaSeconds)} left</Typography>}
        <Box sx={{ flex: 1 }} />
        {(s.status === "downloading" || s.status === "reconnecting") && <IconButton size="small" onClick={() => controller.pause()} aria-label="Pause download"><Pause /></IconButton>}
        {s.status === "paused" && <IconButton size="small" onClick={() => controller.resume()} aria-label="Resume download"><PlayArrow /></IconButton>}
        {s.status !== "completed" && s.status !== "cancelled" && s.status !== "failed" && <IconButton size="small" onClick={() => void controller.cancel()} aria-label="Cancel download"><Close /></IconButton>}
      </Stack>
    </Box>
  );
}

/** A file message: the sender's own controls when the upload runs here, else the live progress the server reports. */
export function FileMessage({ message, mine }: { message: Message; mine: boolean }) {
  const store = useApp();
  const file = message.file!;
  const local = mine ? store.uploads.find(file.uploadId) : undefined;
  // Once done, a local upload looks like any other file message (with Download).
  if (local && local.snapshot.status !== "completed") return <UploadCard controller={local} />;
  const transfer = store.transfers.progress.get(file.uploadId);
  // MESSAGE_UPDATED carries the state changes; TRANSFER the bytes received in between.
  const state: UploadState = (transfer && transfer.state !== file.state && file.state !== "ACTIVE" && file.state !== "PAUSED" ? file.state : transfer?.state) ?? file.state;
  const received = state === "COMPLETED" ? file.size : Math.max(transfer?.received ?? 0, file.offset);
  const download = store.transfers.downloads.get(file.uploadId);
  const isAdmin = store.session.me?.role === "ADMIN";
  return (
    <Box data-testid="file-message" data-upload-id={file.uploadId} data-state={state} data-received={received}>
      <Header name={file.name} size={file.size} />
      {state !== "COMPLETED" && <Progress value={received} total={file.size} paused={state === "PAUSED"} onDark={mine} />}
      <Stack direction="row" alignItems="center" spacing={1} flexWrap="wrap" useFlexGap sx={{ mt: state === "COMPLETED" ? 0.75 : 0 }}>
        <StatusChip status={state} onDark={mine} />
        {state !== "COMPLETED" && (
          <Typography variant="body2" data-testid="transfer-bytes" sx={{ fontVariantNumeric: "tabular-nums" }}>{formatBytes(received)} of {formatBytes(file.size)}</Typography>
        )}
        <Box sx={{ flex: 1 }} />
        {state === "COMPLETED" && (!download || ["failed", "cancelled"].includes(download.snapshot.status)) && (
          <Button size="small" variant={mine ? "outlined" : "contained"} color={mine ? "inherit" : "primary"} startIcon={<Download />} onClick={() => void store.transfers.download(file.uploadId, file.name, file.size, file.contentType)}>
            Download
          </Button>
        )}
        {state === "COMPLETED" && (
          <Tooltip title="Download with the browser (a resumable link, valid for a few minutes)">
            <IconButton size="small" color="inherit" aria-label="Download with the browser" data-testid="browser-download"
              onClick={() => void store.transfers.downloadWithBrowser(file.uploadId, file.name)}><OpenInNew /></IconButton>
          </Tooltip>
        )}
        {isAdmin && state === "COMPLETED" && (
          <Tooltip title="Delete this file for everyone (admin)">
            <IconButton size="small" color="inherit" aria-label="Delete file (admin)" onClick={async () => {
              if (!window.confirm(`Delete ${file.name} for everyone?`)) return;
              try { await store.admin.deleteFile(file.uploadId); } catch (e) { store.notices.notify("error", humanMessage(e)); }
            }}><DeleteForever /></IconButton>
          </Tooltip>
        )}
      </Stack>
      {mine && (state === "ACTIVE" || state === "PAUSED") && (
        <Typography variant="caption" sx={{ display: "block", opacity: 0.85 }}>Sent from another window or session.</Typography>
      )}
      {download && <DownloadProgress controller={download} />}
    </Box>
  );
}

/** An upload whose message does not exist yet (uploads.create in flight). */
export function PendingUploadCard({ upload }: { upload: LocalUpload }) {
  const s = useSnapshot(upload.controller)!;
  return (
    <Box sx={{ display: "flex", justifyContent: "flex-end", px: 1 }}>
      <Box sx={{ bgcolor: "primary.main", color: "primary.contrastText", borderRadius: 3, px: 1.5, py: 1, minWidth: { xs: "85%", sm: 380 } }}>
        <Header name={s.name} size={s.size} />
        <Typography variant="body2">{s.status === "reconnecting" ? "Waiting for the connection…" : "Preparing…"}</Typography>
      </Box>
    </Box>
  );
}
