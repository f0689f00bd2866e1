// The peer: a tus server (@tus/server) storing into S3 (@tus/s3-store), configured from the environment by
// bench/run.sh. It prints "listening <port>" once it accepts uploads.
import { Server } from '@tus/server'
import { S3Store } from '@tus/s3-store'

const env = (name) => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set`)
  return value
}

const datastore = new S3Store({
  // The same part size as Relay's default, so both forward the same S3 request pattern.
  partSize: 8 * 1024 * 1024,
  s3ClientConfig: {
    bucket: env('S3_BUCKET'),
    endpoint: env('S3_ENDPOINT'),
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: env('S3_ACCESS_KEY'), secretAccessKey: env('S3_SECRET_KEY') },
    // Newer AWS SDKs add CRC32 checksums (aws-chunked trailers) to every request by default; the MinIO SDK that
    // Relay and the direct baseline use does not, so leave them out here too.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  },
})

const server = new Server({ path: '/files', datastore })
const listener = server.listen({ host: '127.0.0.1', port: Number(env('TUS_PORT')) }, () => {
  console.log(`listening ${listener.address().port}`)
})
