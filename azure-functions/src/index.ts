// The app's entry (package.json "main", after `npm run build`): importing each function registers it.
import './functions/events';
import './functions/state';
import './functions/dnsReconcile';
import './functions/dnsReconcileTimer';
import './functions/tunnelHealth';
