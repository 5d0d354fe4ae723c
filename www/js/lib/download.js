// Saving a result the visitor made: bytes from the core, named by the page.

/** Offers `bytes` as a download called `name`. */
export function saveBytes(bytes, type, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([bytes], { type }));
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
