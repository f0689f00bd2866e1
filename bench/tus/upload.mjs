// Uploads one file to the tus server with tus-js-client in a single PATCH request (chunkSize Infinity, the
// client's default), and prints "bytes=<n> seconds=<s>" for the harness. Usage: node upload.mjs URL FILE
import fs from 'node:fs'
import { Upload } from 'tus-js-client'

const [endpoint, file] = process.argv.slice(2)
if (!endpoint || !file) {
  console.error('usage: node upload.mjs ENDPOINT FILE')
  process.exit(2)
}
const size = fs.statSync(file).size
const started = process.hrtime.bigint()
await new Promise((resolve, reject) => {
  // A ReadStream with a path lets tus-js-client read the file by ranges, so no chunk size has to be set.
  const upload = new Upload(fs.createReadStream(file), {
    endpoint,
    uploadSize: size,
    metadata: { filename: 'bench.bin' },
    retryDelays: null,
    onError: reject,
    onSuccess: resolve,
  })
  upload.start()
})
const seconds = Number(process.hrtime.bigint() - started) / 1e9
console.log(`bytes=${size} seconds=${seconds.toFixed(3)}`)
