// Renderer entry: mounts the Svelte app. The same bundle runs in the Electron window and in a browser on the
// headless server; lib/api.ts picks the transport.
import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';

mount(App, { target: document.getElementById('app')! });
