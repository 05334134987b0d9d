// A flat-coloured scene the twin model can segment, as a PNG Blob URL (the twin is not SAM 2: photographs
// give meaningless masks with it).
export async function twinScene(width = 800, height = 600) {
  const c = new OffscreenCanvas(width, height);
  const g = c.getContext('2d');
  g.fillStyle = '#f4efe6';
  g.fillRect(0, 0, width, height);
  g.fillStyle = '#d81e1e';
  g.fillRect(90, 120, 220, 260);
  g.fillStyle = '#1e3cd8';
  g.beginPath();
  g.arc(560, 200, 110, 0, Math.PI * 2);
  g.fill();
  g.fillStyle = '#1ea03c';
  g.fillRect(420, 380, 300, 150);
  g.fillStyle = '#d81e1e';
  g.fillRect(120, 440, 120, 100);
  return URL.createObjectURL(await c.convertToBlob({ type: 'image/png' }));
}
