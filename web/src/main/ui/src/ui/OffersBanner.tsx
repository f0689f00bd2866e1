import { useRef } from "react";
import { Alert, Box, Button, Stack, Typography } from "@mui/material";
import type { PendingOffer } from "../state/uploads";
import { formatBytes } from "../transfer/rate";
import { useApp } from "./useApp";

/** Uploads left unfinished by a reload or a closed tab, offered to continue from the server's durable offset. */
export function OffersBanner() {
  const store = useApp();
  const input = useRef<HTMLInputElement>(null);
  const choosing = useRef<PendingOffer | null>(null);
  if (store.uploads.offers.length === 0) return null;
  const peerName = (id?: string) => (id ? store.people.users.get(id)?.displayName || store.people.users.get(id)?.username : undefined);
  return (
    <Alert severity="info" sx={{ borderRadius: 0 }} data-testid="offers">
      <Typography fontWeight={600}>Unfinished uploads</Typography>
      <input
        ref={input}
        type="file"
        hidden
        onChange={(e) => {
          const file = e.target.files?.[0];
          if (file && choosing.current) store.uploads.continueOffer(choosing.current, file);
          e.target.value = "";
        }}
      />
      <Stack spacing={0.5} sx={{ mt: 0.5 }}>
        {store.uploads.offers.map((offer) => (
          <Box key={offer.uploadId} sx={{ display: "flex", gap: 1, alignItems: "center", flexWrap: "wrap" }} data-testid="offer" data-upload-id={offer.uploadId}>
            <Typography variant="body2" sx={{ flex: 1, minWidth: 200 }}>
              <b>{offer.name}</b>{peerName(offer.recipientId) ? ` to ${peerName(offer.recipientId)}` : ""}: {formatBytes(offer.info.offset)} of {formatBytes(offer.size)} saved
              {offer.info.state === "PAUSED" ? " (paused)" : ""}
            </Typography>
            {offer.file ? (
              <Button size="small" variant="contained" onClick={() => store.uploads.continueOffer(offer)}>Continue</Button>
            ) : (
              <Button size="small" variant="contained" onClick={() => { choosing.current = offer; input.current?.click(); }}>Choose the file to continue</Button>
            )}
            <Button size="small" color="inherit" onClick={() => void store.uploads.discardOffer(offer)}>Discard</Button>
          </Box>
        ))}
      </Stack>
    </Alert>
  );
}
