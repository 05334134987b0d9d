// React 19 passes the element's properties as properties and `on<event>` props as listeners of that event name.
import { useState } from 'react';
import { createRoot } from 'react-dom/client';
import 'sam2-segmenter';
import type {} from 'sam2-segmenter/react';

function App() {
  const [status, setStatus] = useState('loading');
  return (
    <>
      <sam2-segmenter
        src="/scene.png"
        device="auto"
        style={{ display: 'block', width: 320, height: 200 }}
        onready={(e) => setStatus(`ready on ${e.detail.backend}`)}
        onerror={(e) => setStatus(`error ${e.detail.code}: ${e.detail.message}`)}
        onmask-change={(e) => setStatus(`mask of ${e.detail.mask.area} px`)}
      />
      <output id="status">{status}</output>
    </>
  );
}

createRoot(document.getElementById('root')!).render(<App />);
