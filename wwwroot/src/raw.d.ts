// Vite's "?raw" imports: the file's text as a string (vite/client declares them, but the
// build uses no ambient types).
declare module "*?raw" {
  const text: string;
  export default text;
}
