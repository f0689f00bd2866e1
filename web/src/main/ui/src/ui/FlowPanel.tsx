import { useEffect, useRef, useState } from "react";
import { Box, Slider, Stack, Typography } from "@mui/material";
import { humanMessage } from "../api/errors";
import type { UploadTelemetry } from "../api/wire";
import { formatBytes } from "../transfer/rate";
import type { UploadController } from "../transfer/upload";
import { useApp } from "./useApp";

const SAMPLES = 75; // 15 s at 200 ms

interface Sample {
  grants: number; // credits granted per second
  inFlight: number; // bytes
  buffer: number; // 0..1
  throughput: number; // bytes per second
}

/** Steps of the bandwidth slider, bytes/s; 0 = no cap. */
const LIMITS = [256 * 1024, 512 * 1024, 1 << 20, 2 << 20, 5 << 20, 10 << 20, 25 << 20, 0];

function nearestLimit(bytesPerSecond: number): number {
  if (!bytesPerSecond) return LIMITS.length - 1;
  let best = 0;
  LIMITS.forEach((l, i) => {
    if (l && Math.abs(Math.log(l / bytesPerSecond)) < Math.abs(Math.log((LIMITS[best] || 1) / bytesPerSecond))) best = i;
  });
  return best;
}

function Chart({ label, values, max, format, color }: { label: string; values: number[]; max: number; format: (v: number) => string; color: string }) {
  const width = 300;
  const height = 44;
  const top = Math.max(max, 1e-9);
  const points = values.map((v, i) => `${(i / (SAMPLES - 1)) * width},${height - (Math.min(v, top) / top) * (height - 2) - 1}`).join(" ");
  const last = values[values.length - 1] ?? 0;
  return (
    <Box>
      <Stack direction="row" justifyContent="space-between">
        <Typography variant="caption" fontWeight={600}>{label}</Typography>
        <Typography variant="caption" sx={{ fontVariantNumeric: "tabular-nums" }} data-testid={`flow-${label.split(" ")[0].toLowerCase()}`}>{format(last)}</Typography>
      </Stack>
      <svg viewBox={`0 0 ${width} ${height}`} width="100%" height={height} preserveAspectRatio="none" role="img" aria-label={`${label}: ${format(last)}`}>
        <rect x="0" y="0" width={width} height={height} fill="rgba(255,255,255,.12)" rx="4" />
        {values.length > 1 && <polyline points={`0,${height} ${points} ${((values.length - 1) / (SAMPLES - 1)) * width},${height}`} fill={color} fillOpacity={0.25} stroke="none" />}
        {values.length > 1 && <polyline points={points} fill="none" stroke={color} strokeWidth={1.8} />}
      </svg>
    </Box>
  );
}

/**
 * "Backpressure made visible": the server's flow control for one upload, from uploads.{id}.telemetry, with what this
 * client observes itself (request-n credits received, chunks outstanding) when the server sends no telemetry.
 */
export function FlowPanel({ controller }: { controller: UploadController }) {
  const store = useApp();
  const [samples, setSamples] = useState<Sample[]>([]);
  const [source, setSource] = useState<"server" | "client">("client");
  const [limitIndex, setLimitIndex] = useState(LIMITS.length - 1);
  const [limitError, setLimitError] = useState<string | null>(null);
  const telemetry = useRef<UploadTelemetry | null>(null);
  const uploadId = controller.uploadId!;

  useEffect(() => {
    let stream: { cancel(): void } | undefined;
    let closed = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    // (Re)opens the telemetry stream; after a reconnect or a server restart it is opened on the new connection.
    const open = () => {
      void store.connection().then((connection) => {
        if (closed) return;
        stream = connection.stream<UploadTelemetry>(`uploads.${uploadId}.telemetry`, undefined, {
          onNext: (t) => {
            telemetry.current = t;
            setSource("server");
            // The cap may have been set elsewhere (another tab, the CLI): show the nearest step.
            setLimitIndex(nearestLimit(t.limitBytesPerSecond ?? 0));
          },
          onComplete: () => {},
          onError: (error) => {
            telemetry.current = null;
            setSource("client");
            if (!closed && error.code !== "UNKNOWN_ROUTE" && error.code !== "NOT_FOUND") retry = setTimeout(open, 1000);
          },
        });
      }, () => {});
    };
    open();
    let previous: { at: number; credits: number; serverCredits?: number; sent: number } | undefined;
    const timer = setInterval(() => {
      const s = controller.snapshot;
      const t = telemetry.current;
      const now = performance.now();
      const fresh = t && t.channelOpen;
      const sample: Sample = { grants: 0, inFlight: 0, buffer: 0, throughput: 0 };
      if (previous) {
        const seconds = (now - previous.at) / 1000;
        const grants = fresh && previous.serverCredits !== undefined ? t.creditsGranted - previous.serverCredits : s.creditsGranted - previous.credits;
        sample.grants = Math.max(0, grants / seconds);
        sample.throughput = fresh ? t.bytesPerSecond : Math.max(0, (s.sent - previous.sent) / seconds);
      }
      sample.inFlight = fresh ? t.inFlightBytes : s.credit * 256 * 1024;
      sample.buffer = fresh && t.bufferCapacity > 0 ? t.bufferedBytes / t.bufferCapacity : 0;
      previous = { at: now, credits: s.creditsGranted, serverCredits: fresh ? t.creditsGranted : undefined, sent: s.sent };
      setSamples((list) => [...list.slice(-(SAMPLES - 1)), sample]);
    }, 200);
    return () => {
      closed = true;
      if (retry) clearTimeout(retry);
      stream?.cancel();
      clearInterval(timer);
    };
  }, [controller, uploadId, store]);

  const setLimit = async (index: number) => {
    setLimitError(null);
    try {
      const bytesPerSecond = LIMITS[index] || null;
      await (await store.connection()).request(`uploads.${uploadId}.limit`, { bytesPerSecond });
    } catch (e) {
      setLimitError(humanMessage(e));
    }
  };

  const maxOf = (k: keyof Sample, floor: number) => Math.max(floor, ...samples.map((s) => s[k]));
  const limitLabel = (i: number) => (LIMITS[i] ? `${formatBytes(LIMITS[i])}/s` : "No limit");

  return (
    <Box sx={{ mt: 1, p: 1.25, borderRadius: 2, bgcolor: "rgba(0,0,0,.18)" }} data-testid="flow-panel" data-source={source}>
      <Typography variant="caption" sx={{ display: "block", mb: 0.5, opacity: 0.9 }}>
        Flow control {source === "server" ? "(server telemetry)" : "(as seen by this browser)"} — the server grants credit (request-n); pausing drops grants to zero.
      </Typography>
      <Box sx={{ display: "grid", gridTemplateColumns: { xs: "1fr", sm: "1fr 1fr" }, gap: 1 }}>
        <Chart label="Credits granted/s" values={samples.map((s) => s.grants)} max={maxOf("grants", 4)} format={(v) => v.toFixed(1)} color="#ffd54f" />
        <Chart label="In flight" values={samples.map((s) => s.inFlight)} max={maxOf("inFlight", 1 << 20)} format={(v) => formatBytes(v)} color="#80deea" />
        <Chart label="Server buffer" values={samples.map((s) => s.buffer)} max={1} format={(v) => (source === "server" ? `${Math.round(v * 100)} %` : "n/a")} color="#ef9a9a" />
        <Chart label="Throughput" values={samples.map((s) => s.throughput)} max={maxOf("throughput", 1 << 20)} format={(v) => `${formatBytes(v)}/s`} color="#a5d6a7" />
      </Box>
      <Stack direction="row" spacing={2} alignItems="center" sx={{ mt: 1, px: 1 }}>
        <Typography variant="caption" sx={{ whiteSpace: "nowrap" }} id={`limit-${uploadId}`}>Bandwidth limit</Typography>
        <Slider
          size="small"
          min={0}
          max={LIMITS.length - 1}
          step={1}
          value={limitIndex}
          onChange={(_, v) => setLimitIndex(v as number)}
          onChangeCommitted={(_, v) => void setLimit(v as number)}
          valueLabelDisplay="auto"
          valueLabelFormat={limitLabel}
          getAriaValueText={limitLabel}
          aria-labelledby={`limit-${uploadId}`}
          sx={{ color: "inherit" }}
          data-testid="limit-slider"
        />
        <Typography variant="caption" sx={{ whiteSpace: "nowrap", minWidth: 76, textAlign: "right" }}>{limitLabel(limitIndex)}</Typography>
      </Stack>
      {limitError && <Typography variant="caption" role="alert">{limitError}</Typography>}
    </Box>
  );
}
