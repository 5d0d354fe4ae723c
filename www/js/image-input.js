// Turning a visitor's file into RGBA pixels, in the browser, with a clear word
// for every way it can go wrong. Nothing is uploaded anywhere.

/** An error whose message is written for the visitor. */
export class InputError extends Error {}

const FORMAT_NAMES = { png: "PNG", gif: "GIF", jpeg: "JPEG", webp: "WebP", bmp: "BMP" };

/**
 * Decodes `file` to opaque RGBA (transparent areas composited over white),
 * scaled so that its longest edge is at most maxEdge().
 * @returns {{rgba: Uint8ClampedArray, width: number, height: number, notes: string[]}}
 */
export async function decodePicture(file, { sniffImage, fitWithinMaxEdge, maxEdge }) {
  const name = file.name ? `“${file.name}”` : "The file";
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (bytes.length === 0) throw new InputError(`${name} is empty (0 bytes).`);
  const head = sniffImage(bytes);
  const known = head.format !== "unknown";
  if (!known && !(file.type || "").startsWith("image/")) {
    throw new InputError(`${name} is not a picture this page can read. Try a PNG, JPEG, GIF or WebP file.`);
  }
  const kind = FORMAT_NAMES[head.format] ?? "picture";
  if (head.width === 0 || head.height === 0) {
    throw new InputError(`${name} is a ${kind} with no pixels (${head.width} × ${head.height}).`);
  }
  if (head.truncated) {
    throw new InputError(`${name} starts like a ${kind} but is cut short: the file is damaged or incomplete.`);
  }

  const notes = [];
  const blob = new Blob([bytes], { type: file.type || "application/octet-stream" });
  let bitmap;
  try {
    // Decode at the final size when the header tells us the size (spares memory for huge files).
    const options = { premultiplyAlpha: "none" };
    if (head.width && head.height) {
      const [w, h] = fitWithinMaxEdge(head.width, head.height);
      if (w !== head.width || h !== head.height) {
        Object.assign(options, { resizeWidth: w, resizeHeight: h, resizeQuality: "high" });
      }
    }
    bitmap = await createImageBitmap(blob, options);
  } catch {
    throw new InputError(
      known
        ? `${name} looks like a ${kind} but could not be decoded: the file is damaged or incomplete.`
        : `${name} is not a picture this page can read.`,
    );
  }
  const [width, height] = fitWithinMaxEdge(bitmap.width, bitmap.height);
  const srcW = head.width ?? bitmap.width;
  const srcH = head.height ?? bitmap.height;
  if (width !== srcW || height !== srcH) {
    notes.push(`The picture is ${srcW} × ${srcH} px; it was scaled down to ${width} × ${height} (the longest edge processed is ${maxEdge()} px).`);
  }
  if (head.animated) notes.push("It is animated: its first frame is used.");
  if (head.bitDepth && head.bitDepth > 8) notes.push(`It has ${head.bitDepth} bits per channel; it is shown with 8.`);

  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, height);
  ctx.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const { data } = ctx.getImageData(0, 0, width, height);
  return { rgba: data, width, height, notes };
}

/** Fetches a built-in picture and decodes it exactly (no scaling, no colour change). */
export async function loadBuiltin(url) {
  const response = await fetch(url);
  if (!response.ok) throw new InputError(`The built-in picture ${url} could not be loaded (${response.status}).`);
  const bitmap = await createImageBitmap(await response.blob(), { premultiplyAlpha: "none" });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0);
  const { data } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
  const result = { rgba: data, width: bitmap.width, height: bitmap.height, notes: [] };
  bitmap.close();
  return result;
}
